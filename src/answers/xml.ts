import sax from "sax";
import { messageOf } from "../mturk/errors.js";

/**
 * A bounded, non-validating XML event reader over sax (strict mode, XML's five entities only): no DTD is read, so
 * no entity is ever expanded and nothing external is fetched. Well-formedness errors do not stop it; each is
 * reported with its position and reading goes on, so a caller keeps what it could read.
 */

/** The largest document read at all (bytes of UTF-8): answers and questions are far smaller (MTurk: 64 KB). */
const MAX_XML_BYTES = 512 * 1024;
/** After this many errors the document is abandoned: garbage yields one error per character. */
const MAX_ERRORS = 25;

export interface XmlHandlers {
  open(localName: string, depth: number): void;
  close(localName: string, depth: number): void;
  /** Character data (text or CDATA) directly inside the element at `depth`. */
  text(text: string, depth: number): void;
  error(message: string): void;
}

/** The name without its namespace prefix: MTurk's documents use a default namespace, some clients a prefix. */
const localName = (name: string) => name.slice(name.indexOf(":") + 1);

class TooManyErrors extends Error {}

/** Reads `xml`, calling the handlers; returns a document-level error (too large, abandoned), if any. */
export function readXml(xml: string, handlers: XmlHandlers): string | undefined {
  const bytes = Buffer.byteLength(xml, "utf8");
  if (bytes > MAX_XML_BYTES) return `The document has ${bytes} bytes; documents over ${MAX_XML_BYTES} are not read.`;
  // strictEntities: only XML's five (no HTML entities); entities a DTD declares are never added.
  const parser = sax.parser(true, { strictEntities: true, position: true } as sax.SAXOptions);
  let depth = 0;
  let errors = 0;
  // The first of each kind of error is enough to tell what is wrong.
  const reported = new Set<string>();
  parser.onopentag = (tag) => {
    depth += 1;
    handlers.open(localName(tag.name), depth);
  };
  parser.onclosetag = (name) => {
    handlers.close(localName(name), depth);
    depth -= 1;
  };
  parser.ontext = (text) => handlers.text(text, depth);
  parser.oncdata = (text) => handlers.text(text, depth);
  parser.onerror = (error) => {
    // Reading goes on after an error (sax's resume clears it).
    parser.resume();
    errors += 1;
    const reason = error.message.split("\n")[0] ?? "Malformed XML";
    if (!reported.has(reason)) handlers.error(`${reason} (line ${parser.line + 1}, column ${parser.column + 1})`);
    reported.add(reason);
    if (errors >= MAX_ERRORS) throw new TooManyErrors();
  };
  try {
    parser.write(xml).close();
  } catch (error) {
    if (error instanceof TooManyErrors) return `More than ${MAX_ERRORS - 1} XML errors: the rest was not read.`;
    return `The XML could not be read: ${messageOf(error).split("\n")[0]}`;
  }
  return undefined;
}
