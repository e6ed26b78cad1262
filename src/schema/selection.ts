import type { FieldNode, FragmentDefinitionNode, GraphQLResolveInfo, SelectionSetNode } from "graphql";

/** Names of the fields a resolver's result is asked for, through inline fragments and fragment spreads. */
function selectedFields(
  selectionSet: SelectionSetNode | undefined,
  fragments: Record<string, FragmentDefinitionNode>,
  into: Set<string>,
) {
  for (const selection of selectionSet?.selections ?? []) {
    if (selection.kind === "Field") into.add(selection.name.value);
    else if (selection.kind === "InlineFragment") selectedFields(selection.selectionSet, fragments, into);
    else selectedFields(fragments[selection.name.value]?.selectionSet, fragments, into);
  }
  return into;
}

/**
 * Whether a field's selection needs only what its id gives (the id itself and links that list by id). Then the
 * entity need not be fetched: `qualificationType(qualificationTypeId:) { requests }` costs ListQualificationRequests
 * alone, not GetQualificationType too.
 */
export function needsOnly(info: GraphQLResolveInfo, fromId: ReadonlySet<string>): boolean {
  const fields = new Set<string>();
  for (const node of info.fieldNodes as FieldNode[]) selectedFields(node.selectionSet, info.fragments, fields);
  for (const field of fields) if (field !== "__typename" && !fromId.has(field)) return false;
  return true;
}

/** An entity for a link or root field: a stub with its id when the selection needs no more, else its id to load. */
export function entityOrStub<T>(
  info: GraphQLResolveInfo,
  fromId: ReadonlySet<string>,
  id: string,
  stub: T,
): T | string {
  return needsOnly(info, fromId) ? stub : id;
}
