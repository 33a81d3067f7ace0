import { isIP } from 'node:net';
import sanitizeHtml, { type IOptions } from 'sanitize-html';
import { isPrivateAddress } from '../core/network.js';

/**
 * Archived HTML made fit to show. Two walls, either of which alone must hold: this allow-list
 * (sanitize-html: no scripts, event handlers, forms, frames, objects, meta refresh, base or link
 * elements survive) and the Content-Security-Policy with `sandbox` that Web Access serves the
 * result under (no script runs, nothing is fetched from elsewhere until the user allows it).
 * Remote images, styles and fonts are kept in the markup so that "load external content" only
 * has to relax the policy; whether there are any is reported so the button shows only then.
 */
export interface SafeHtml {
  html: string;
  hasExternalContent: boolean;
}

/** `cid:` references (Content-ID without brackets, lower case) → the data: URL of the image. */
export type InlineImages = ReadonlyMap<string, string>;

/** Inline images the frame may show without a request: raster types only (an SVG is a document). */
const INLINE_IMAGE = /^data:image\/(?:png|jpe?g|gif|webp|bmp);/i;

/**
 * A remote image the user may choose to load: an absolute http(s) URL naming a host on the Internet,
 * or null. Relative URLs would resolve against Postvault's API, and loopback or private hosts are
 * the machines next to the reader; tricks like `\\host`, `/\host` or `https:host` are not URLs of
 * that form and are dropped.
 */
export function remoteImageUrl(value: string): string | null {
  const trimmed = value.trim();
  if (!/^https?:\/\/[^/\\]/i.test(trimmed)) return null;
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return null;
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost') || (!host.includes('.') && isIP(host) === 0))
    return null;
  if (isIP(host) !== 0 && isPrivateAddress(host)) return null;
  return url.href;
}

/**
 * Whether CSS may fetch something once remote styles are allowed: any url() that is not data:, any
 * @import or image-set(), and any escape (which could spell either). Over-reporting only shows the
 * "load external content" button; the policy decides what loads.
 */
function cssMayFetch(css: string): boolean {
  const withoutData = css.replace(/url\(\s*(?:&quot;|&#39;|['"])?\s*data:/gi, '');
  return /url\s*\(|@import|image-set\s*\(|\\/i.test(withoutData);
}

/** An image URL kept as is (inline data), kept as a remote image, or dropped. */
function imageSource(value: string): { src: string | null; remote: boolean } {
  if (INLINE_IMAGE.test(value.trim())) return { src: value.trim(), remote: false };
  const remote = remoteImageUrl(value);
  return { src: remote, remote: remote !== null };
}

const ALLOWED_TAGS = [
  'a', 'abbr', 'address', 'article', 'aside', 'b', 'bdi', 'bdo', 'big', 'blockquote', 'br', 'caption',
  'center', 'cite', 'code', 'col', 'colgroup', 'dd', 'del', 'details', 'dfn', 'div', 'dl', 'dt', 'em',
  'figcaption', 'figure', 'font', 'footer', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr', 'i', 'img',
  'ins', 'kbd', 'li', 'main', 'mark', 'nav', 'ol', 'p', 'pre', 'q', 's', 'samp', 'section', 'small',
  'span', 'strike', 'strong', 'style', 'sub', 'summary', 'sup', 'table', 'tbody', 'td', 'tfoot', 'th',
  'thead', 'time', 'tr', 'tt', 'u', 'ul', 'var', 'wbr',
]; // prettier-ignore

/** Presentational attributes mail relies on; nothing that can hold a script or a fetch but src/href. */
const COMMON_ATTRIBUTES = [
  'align', 'bgcolor', 'border', 'cellpadding', 'cellspacing', 'class', 'color', 'colspan', 'dir', 'face',
  'height', 'hspace', 'lang', 'nowrap', 'rowspan', 'size', 'style', 'title', 'valign', 'vspace', 'width',
]; // prettier-ignore

/**
 * Elements whose text must not survive as visible text once the element is dropped (script source,
 * a frame's fallback, a template's inert markup).
 */
const DROP_WITH_CONTENT = [
  'script', 'textarea', 'option', 'noscript', 'title', 'template', 'xmp', 'iframe', 'noembed',
  'noframes', 'object', 'applet', 'embed', 'svg', 'math', 'select', 'button',
]; // prettier-ignore

export function renderSafeHtml(html: string, inlineImages: InlineImages = new Map()): SafeHtml {
  let external = false;
  const options: IOptions = {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: {
      '*': COMMON_ATTRIBUTES,
      a: ['href', 'name', 'target', 'rel'],
      img: ['src', 'alt'],
      td: ['background'],
      table: ['background'],
    },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['http', 'https', 'data'] },
    allowedSchemesAppliedToAttributes: ['href', 'src', 'background'],
    allowProtocolRelative: true,
    // <style> is kept: mail layouts depend on it. Its content cannot run anything (no script runs in
    // the sandbox) and cannot fetch anything until the policy allows remote styles.
    allowVulnerableTags: true,
    nonTextTags: DROP_WITH_CONTENT,
    disallowedTagsMode: 'discard',
    transformTags: {
      a: (tagName, attribs) => {
        // Only links that lead somewhere outside: a relative one would open Postvault's API.
        const { href, ...rest } = attribs;
        const kept: sanitizeHtml.Attributes =
          href && /^\s*(?:https?:\/\/[^/\\]|mailto:)/i.test(href) ? { href: href.trim() } : {};
        // Links leave the sandbox in a new tab, never in the frame or the console's window.
        return { tagName, attribs: { ...rest, ...kept, target: '_blank', rel: 'noopener noreferrer' } };
      },
      img: (tagName, attribs) => {
        const { src = '', ...rest } = attribs;
        if (/^\s*cid:/i.test(src)) {
          const inline = inlineImages.get(contentIdKey(src.replace(/^\s*cid:/i, '')));
          return { tagName, attribs: inline ? { ...rest, src: inline } : rest };
        }
        const image = imageSource(src);
        if (image.remote) external = true;
        return { tagName, attribs: image.src ? { ...rest, src: image.src } : rest };
      },
      table: keepImageAttribute('background', () => (external = true)),
      td: keepImageAttribute('background', () => (external = true)),
    },
    exclusiveFilter: (frame) => {
      if (frame.tag !== 'style') return false;
      // CSS has no use for '<'; markup in a style element is an attempt to break out of it.
      if (frame.text.includes('<')) return true;
      if (cssMayFetch(frame.text)) external = true;
      return false;
    },
  };
  const body = sanitizeHtml(html, options);
  // Style attributes are checked on the result, where only kept ones remain.
  for (const match of body.matchAll(/ style="([^"]*)"/gi)) if (cssMayFetch(match[1]!)) external = true;
  return { html: body, hasExternalContent: external };
}

/** A transform keeping an image-valued attribute (a table background) only when it is one. */
function keepImageAttribute(name: string, remoteSeen: () => void) {
  return (tagName: string, attribs: sanitizeHtml.Attributes) => {
    const { [name]: value, ...rest } = attribs;
    if (value === undefined) return { tagName, attribs };
    const image = imageSource(value);
    if (image.remote) remoteSeen();
    return { tagName, attribs: image.src ? { ...rest, [name]: image.src } : rest };
  };
}

/** A Content-ID as `cid:` URLs and headers write it, compared without brackets and case. */
export function contentIdKey(contentId: string): string {
  let id = contentId.trim();
  try {
    id = decodeURIComponent(id);
  } catch {
    // keep it as written
  }
  return id.replace(/^<|>$/g, '').toLowerCase();
}

/** The whole document served into the sandboxed frame, with the safe body inside. */
export function safeHtmlDocument(body: string): string {
  return (
    '<!doctype html><html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">' +
    '<style>body{margin:8px;font-family:system-ui,sans-serif;overflow-wrap:anywhere}img{max-width:100%;height:auto}</style>' +
    `</head><body>${body}</body></html>`
  );
}
