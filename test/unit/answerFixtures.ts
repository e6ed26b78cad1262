/** A corpus of QuestionFormAnswers and Question documents: conforming, each answer kind, malformed, hostile. */
const NS =
  'xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd"';
const doc = (answers: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><QuestionFormAnswers ${NS}>${answers}</QuestionFormAnswers>`;
const answer = (id: string, body: string) => `<Answer><QuestionIdentifier>${id}</QuestionIdentifier>${body}</Answer>`;

export const wellFormed = {
  freeText: doc(answer("q1", "<FreeText>Is the sky blue? Yes &amp; no &lt;3</FreeText>")),
  selections: doc(
    answer("colour", "<SelectionIdentifier>red</SelectionIdentifier><SelectionIdentifier>blue</SelectionIdentifier>"),
  ),
  otherSelection: doc(
    answer("colour", "<SelectionIdentifier>other</SelectionIdentifier><OtherSelectionText>teal</OtherSelectionText>"),
  ),
  upload: doc(
    answer(
      "photo",
      "<UploadedFileSizeInBytes>20481</UploadedFileSizeInBytes><UploadedFileKey>3ABC/photo.jpg</UploadedFileKey>",
    ),
  ),
  prettyPrinted: `<QuestionFormAnswers ${NS}>
  <Answer>
    <QuestionIdentifier>
      q1
    </QuestionIdentifier>
    <FreeText>  two  spaces  </FreeText>
  </Answer>
</QuestionFormAnswers>`,
  prefixed: `<a:QuestionFormAnswers xmlns:a="urn:x"><a:Answer><a:QuestionIdentifier>q1</a:QuestionIdentifier><a:FreeText>x</a:FreeText></a:Answer></a:QuestionFormAnswers>`,
  cdata: doc(answer("q1", "<FreeText><![CDATA[<b>bold</b> & raw]]></FreeText>")),
  numericReferences: doc(answer("q1", "<FreeText>&#x263A; &#233;t&#233;</FreeText>")),
  empty: doc(""),
  /** The simulator's seed: one free-text answer per assignment and per qualification test. */
  seed: doc(answer("q1", "<FreeText>cat</FreeText>")),
  /** A crowd-form (Crowd HTML Elements) submission: one taskAnswers answer holding JSON. */
  crowd: doc(
    answer(
      "taskAnswers",
      `<FreeText>[{"sentiment":{"label":"Positive"},"tags":{"labels":["a","b"]},"comment":"ok","agree":{"on":true},"stars":4,"box":{"boundingBoxes":[{"left":1,"top":2}]}}]</FreeText>`,
    ),
  ),
  externalForm: doc(
    answer("comment", "<FreeText>from my page</FreeText>") + answer("rating", "<FreeText>5</FreeText>"),
  ),
};

export const nonConforming = {
  noIdentifier: doc("<Answer><FreeText>x</FreeText></Answer>"),
  twoKinds: doc(answer("q1", "<FreeText>x</FreeText><SelectionIdentifier>s</SelectionIdentifier>")),
  twoFreeTexts: doc(answer("q1", "<FreeText>x</FreeText><FreeText>y</FreeText>")),
  badSize: doc(
    answer("f", "<UploadedFileSizeInBytes>lots</UploadedFileSizeInBytes><UploadedFileKey>k</UploadedFileKey>"),
  ),
  fileWithoutKey: doc(answer("f", "<UploadedFileSizeInBytes>12</UploadedFileSizeInBytes>")),
  unknownElement: doc(answer("q1", "<FreeText>x</FreeText><Score>3</Score>")),
  nestedInFreeText: doc(answer("q1", "<FreeText>a<b>bold</b></FreeText>")),
  wrongRoot: `<Answers><Answer><QuestionIdentifier>q1</QuestionIdentifier><FreeText>x</FreeText></Answer></Answers>`,
  crowdNotJson: doc(answer("taskAnswers", "<FreeText>{not json</FreeText>")),
  crowdNotForms: doc(answer("taskAnswers", "<FreeText>[1,2]</FreeText>")),
};

export const malformed = {
  truncated: doc(answer("q1", "<FreeText>one</FreeText>")).slice(0, -40),
  unclosedFreeText: `<QuestionFormAnswers><Answer><QuestionIdentifier>q1</QuestionIdentifier><FreeText>abc`,
  mismatched: doc(answer("q1", "<FreeText>x</b></FreeText>") + answer("q2", "<FreeText>y</FreeText>")),
  bareAmpersand: doc(answer("q1", "<FreeText>fish & chips</FreeText>")),
  notXml: "this is not XML at all",
  json: '{"q1":"x"}',
  twoRoots: `${doc(answer("q1", "<FreeText>x</FreeText>"))}<QuestionFormAnswers/>`,
  textOutside: doc(`stray ${answer("q1", "<FreeText>x</FreeText>")}`),
  garbage: "\u0000\u0001<<<>>>&&&;;;".repeat(200),
};

const lol = (n: number) => `<!ENTITY lol${n} "${`&lol${n - 1};`.repeat(10)}">`;
export const hostile = {
  billionLaughs: `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">${Array.from({ length: 9 }, (_, i) => lol(i + 1)).join("")}]>${doc(answer("q1", "<FreeText>&lol9;</FreeText>"))}`,
  xxeFile: `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${doc(answer("q1", "<FreeText>&xxe;</FreeText>"))}`,
  xxeHttp: `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/secret">]>${doc(answer("q1", "<FreeText>&xxe;</FreeText>"))}`,
  externalDtd: `<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd">${doc(answer("q1", "<FreeText>x</FreeText>"))}`,
  parameterEntity: `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "file:///etc/hostname"> %p;]>${doc(answer("q1", "<FreeText>x</FreeText>"))}`,
  deepNesting: doc(answer("q1", `<FreeText>${"<a>".repeat(40_000)}${"</a>".repeat(40_000)}</FreeText>`)),
  manyAttributes: doc(
    `<Answer ${Array.from({ length: 5000 }, (_, i) => `a${i}="${i}"`).join(" ")}><QuestionIdentifier>q1</QuestionIdentifier><FreeText>x</FreeText></Answer>`,
  ),
  manyAnswers: doc(Array.from({ length: 5000 }, (_, i) => answer(`q${i}`, "<FreeText>x</FreeText>")).join("")),
  bigText: doc(answer("q1", `<FreeText>${"x".repeat(400_000)}</FreeText>`)),
  huge: doc(answer("q1", `<FreeText>${"x".repeat(2_000_000)}</FreeText>`)),
  deepCrowdJson: doc(
    answer("taskAnswers", `<FreeText>[{"x":${"[".repeat(100_000)}${"]".repeat(100_000)}}]</FreeText>`),
  ),
  loneSurrogate: doc(answer("q1", "<FreeText>\uD800 half</FreeText>")),
};

export const questions = {
  external: `<ExternalQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2006-07-14/ExternalQuestion.xsd"><ExternalURL>https://tasks.example.org/task/1?a=1&amp;b=2</ExternalURL><FrameHeight>600</FrameHeight></ExternalQuestion>`,
  html: `<HTMLQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2011-11-11/HTMLQuestion.xsd"><HTMLContent><![CDATA[<!DOCTYPE html><crowd-form><crowd-input name="comment"></crowd-input></crowd-form>]]></HTMLContent><FrameHeight>0</FrameHeight></HTMLQuestion>`,
  /** The simulator's qualification test. */
  form: `<QuestionForm xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2017-11-06/QuestionForm.xsd"><Overview><Text>Hi</Text></Overview><Question><QuestionIdentifier>q1</QuestionIdentifier><QuestionContent><Text>Is the sky blue?</Text></QuestionContent><AnswerSpecification><FreeTextAnswer/></AnswerSpecification></Question><Question><QuestionIdentifier>q2</QuestionIdentifier><IsRequired>true</IsRequired><QuestionContent><Text>Colour?</Text></QuestionContent><AnswerSpecification><SelectionAnswer><Selections><Selection><SelectionIdentifier>red</SelectionIdentifier><Text>Red</Text></Selection></Selections></SelectionAnswer></AnswerSpecification></Question></QuestionForm>`,
  unknownRoot: "<Survey><Question/></Survey>",
  badHeight: `<ExternalQuestion><ExternalURL>https://x.org</ExternalURL><FrameHeight>tall</FrameHeight></ExternalQuestion>`,
  malformed: "<QuestionForm><Question><QuestionIdentifier>q1</QuestionIdentifier>",
};
