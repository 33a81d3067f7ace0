import sanitizeHtml, { type IOptions } from 'sanitize-html';

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

const REMOTE_URL = /^\s*(?:https?:)?\/\//i;
const CSS_REMOTE = /url\(\s*['"]?\s*(?:https?:)?\/\/|@import/i;

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
  'noframes', 'object', 'applet', 'embed', 'svg', 'math', 'select', 'button', 'head',
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
      a: (tagName, attribs) => ({
        tagName,
        // Links leave the sandbox in a new tab, never in the frame or the console's window.
        attribs: { ...attribs, target: '_blank', rel: 'noopener noreferrer' },
      }),
      img: (tagName, attribs) => {
        const src = attribs['src'] ?? '';
        if (/^\s*cid:/i.test(src)) {
          const inline = inlineImages.get(contentIdKey(src.replace(/^\s*cid:/i, '')));
          const { src: _cid, ...rest } = attribs;
          return { tagName, attribs: inline ? { ...rest, src: inline } : rest };
        }
        if (REMOTE_URL.test(src)) external = true;
        return { tagName, attribs };
      },
    },
    exclusiveFilter: (frame) => {
      if (frame.tag === 'style' && CSS_REMOTE.test(frame.text)) external = true;
      return false;
    },
  };
  const body = sanitizeHtml(html, options);
  // Attribute styles and table backgrounds are checked on the result, where only kept ones remain.
  if (/style="[^"]*(?:url\(\s*(?:&#39;|&quot;|['"])?\s*(?:https?:)?\/\/|@import)/i.test(body))
    external = true;
  if (/background="\s*(?:https?:)?\/\//i.test(body)) external = true;
  return { html: body, hasExternalContent: external };
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
