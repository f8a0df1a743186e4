// XML in and out for ONVIF (the gateway's camera client and the camera simulator): a namespace-blind parse (prefixes
// differ between clients — `s:`, `SOAP-ENV:`, `env:`, default namespaces — and ONVIF element
// names do not collide across the namespaces we read), small accessors over the parsed tree, and
// escaping for the XML we write by hand.
//
// fast-xml-parser rather than xml2js (which node-onvif pulls in): it parses synchronously, ships
// its own types, has a validator that tells malformed input apart from odd-but-valid input, and
// never fetches external entities.
import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** A parsed element: attributes under `@name`, text under `#text`, children by local name. */
export type XmlNode = string | XmlElement;
export interface XmlElement {
  [name: string]: XmlNode | XmlNode[] | undefined;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  // Keep every value a string: "001" is a token, "true" a word; the callers decide the types.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

export class XmlSyntaxError extends Error {
  override readonly name = 'XmlSyntaxError';
}

/** Parses a whole document; throws XmlSyntaxError when it is not well-formed XML. */
export function parseXml(text: string): XmlElement {
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new XmlSyntaxError(`${valid.err.msg} (line ${valid.err.line})`);
  let parsed: unknown;
  try {
    parsed = parser.parse(text);
  } catch (err) {
    throw new XmlSyntaxError((err as Error).message);
  }
  if (!parsed || typeof parsed !== 'object') throw new XmlSyntaxError('no root element');
  return parsed as XmlElement;
}

function isElement(node: unknown): node is XmlElement {
  return typeof node === 'object' && node !== null && !Array.isArray(node);
}

/** The first child element called `name` (a repeated element yields its first occurrence). */
export function child(node: XmlNode | XmlNode[] | undefined, name: string): XmlNode | undefined {
  const parent = Array.isArray(node) ? node[0] : node;
  if (!isElement(parent)) return undefined;
  const value = parent[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Every child element called `name`. */
export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  if (!isElement(node)) return [];
  const value = node[name];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Follows a path of child names: `path(envelope, 'Body', 'GetStreamUri', 'ProfileToken')`. */
export function path(node: XmlNode | undefined, ...names: string[]): XmlNode | undefined {
  let current = node;
  for (const name of names) current = child(current, name);
  return current;
}

/** The text content of an element (empty element: ''), or undefined when it is absent. */
export function text(node: XmlNode | undefined): string | undefined {
  if (node === undefined) return undefined;
  if (typeof node === 'string') return node;
  const value = node['#text'];
  if (value === undefined) return '';
  return typeof value === 'string' ? value : String(value);
}

export function attr(node: XmlNode | undefined, name: string): string | undefined {
  if (!isElement(node)) return undefined;
  const value = node[`@${name}`];
  return typeof value === 'string' ? value : undefined;
}

/** Names of the child elements, in document order (attributes and text left out). */
export function elementNames(node: XmlNode | undefined): string[] {
  if (!isElement(node)) return [];
  return Object.keys(node).filter((key) => !key.startsWith('@') && key !== '#text');
}

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes text for element content and attribute values. */
export function escapeXml(value: string | number | boolean): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}
