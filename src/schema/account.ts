import { builder } from "./builder.js";
import { Money, type MoneyShape, money, readable } from "./common.js";

interface AccountBalanceShape {
  available: MoneyShape | null;
  onHold: MoneyShape | null;
}

const AccountBalanceRef = builder.objectRef<AccountBalanceShape>("AccountBalance").implement({
  ...readable,
  description: "The requester account's balance (GetAccountBalance).",
  fields: (t) => ({
    availableBalance: t.expose("available", {
      type: Money,
      description: "Funds available to pay rewards and bonuses (AvailableBalance).",
    }),
    onHoldBalance: t.expose("onHold", {
      type: Money,
      description: "Funds held for work awaiting approval (OnHoldBalance).",
    }),
  }),
});

builder.queryFields((t) => ({
  accountBalance: t.field({
    type: AccountBalanceRef,
    description: "The requester's balance (GetAccountBalance), read once per request however often it is asked for.",
    resolve: async (_root, _args, ctx) => {
      const balance = await ctx.loaders.accountBalance();
      return { available: money(balance.AvailableBalance), onHold: money(balance.OnHoldBalance) };
    },
  }),
}));
