import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type MirrorDatabase, openMirrorDatabase } from "../../src/mirror/database.js";

/** A real SQLite mirror in a directory of its own, removed when the database is closed. */
export async function tempMirrorDatabase(options: { account?: string; dir?: string } = {}): Promise<MirrorDatabase> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "mturk-mirror-"));
  const database = await openMirrorDatabase({ dataDir: dir, account: options.account ?? "test-account" });
  return {
    ...database,
    close: async () => {
      await database.close();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
