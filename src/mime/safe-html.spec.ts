import { describe, expect, it } from 'vitest';
import { contentIdKey, renderSafeHtml } from './safe-html.js';

const images = new Map([['logo@example.com', 'data:image/png;base64,iVBORw0KGgo=']]);

describe('renderSafeHtml', () => {
  it('drops scripts, handlers, forms, frames, objects, refreshes and their contents', () => {
    const { html } = renderSafeHtml(
      '<html><head><title>Title text</title><meta http-equiv="refresh" content="0;url=https://evil.example/">' +
        '<base href="https://evil.example/"><link rel="stylesheet" href="https://evil.example/x.css"></head>' +
        '<body onload="top.__pvPwned=1"><p onclick="x()">Hello</p><script>top.__pvPwned=1</script>' +
        '<form action="https://evil.example/"><input name="a"><button>Go</button></form>' +
        '<iframe src="https://evil.example/"></iframe><object data="x.swf">fallback</object><embed src="x">' +
        '<svg><script>top.__pvPwned=1</script></svg><template><img src=x onerror=alert(1)></template></body></html>',
    );
    expect(html).toBe('<p>Hello</p>');
  });

  it('keeps links but removes javascript: and data: targets, and opens them in a new tab', () => {
    const { html } = renderSafeHtml(
      '<a href="https://example.com/a">ok</a><a href="javascript:alert(1)">js</a>' +
        '<a href="jav&#x09;ascript:alert(1)">tab</a><a href="data:text/html,<script>1</script>">data</a>',
    );
    expect(html).toBe(
      '<a href="https://example.com/a" target="_blank" rel="noopener noreferrer">ok</a>' +
        '<a target="_blank" rel="noopener noreferrer">js</a><a target="_blank" rel="noopener noreferrer">tab</a>' +
        '<a target="_blank" rel="noopener noreferrer">data</a>',
    );
  });

  it('does not let an attribute value break out into markup (mutation XSS)', () => {
    const { html } = renderSafeHtml(
      '<noscript><p title="</noscript><img src=x onerror=top.__pvPwned=1>"></noscript><p>after</p>' +
        '<img src="x" alt="a"onerror="top.__pvPwned=1">',
    );
    expect(html).not.toMatch(/onerror/i);
    expect(html).toContain('<p>after</p>');
  });

  it('embeds cid: images and reports remote images without removing them', () => {
    const result = renderSafeHtml(
      '<img src="cid:LOGO@example.com" alt="logo"><img src="https://t.example/p.gif">',
    );
    expect(result.html).toBe('<img alt="logo" /><img src="https://t.example/p.gif" />');
    const inline = renderSafeHtml('<img src="cid:logo@example.com">', images);
    expect(inline.html).toBe('<img src="data:image/png;base64,iVBORw0KGgo=" />');
    expect(inline.hasExternalContent).toBe(false);
    expect(result.hasExternalContent).toBe(true);
  });

  it('keeps <style> for layouts and notices remote CSS in it or in style attributes', () => {
    expect(renderSafeHtml('<style>p{color:red}</style><p>x</p>')).toEqual({
      html: '<style>p{color:red}</style><p>x</p>',
      hasExternalContent: false,
    });
    expect(renderSafeHtml('<style>@import url(https://e.example/x.css);</style>').hasExternalContent).toBe(
      true,
    );
    expect(
      renderSafeHtml(`<p style="background:url('https://e.example/x.png')">x</p>`).hasExternalContent,
    ).toBe(true);
    expect(
      renderSafeHtml('<table background="https://e.example/bg.png"><tr><td>x</td></tr></table>')
        .hasExternalContent,
    ).toBe(true);
  });
});

describe('remote content', () => {
  it('keeps only absolute images on Internet hosts; relative, local and malformed ones are dropped', () => {
    const kept = (src: string) => renderSafeHtml(`<img src="${src}">`).html.includes('src=');
    expect(kept('https://cdn.example.com/a.png')).toBe(true);
    expect(kept('http://203.0.113.9/a.png')).toBe(true);
    for (const src of [
      '/api/v1/auth/sign-out',
      'relative.png',
      '//cdn.example.com/a.png',
      '\\\\cdn.example.com\\a.png',
      '/\\cdn.example.com/a.png',
      'https:cdn.example.com/a.png',
      'ht\ttp://cdn.example.com/a.png',
      'http://localhost/a.png',
      'http://127.0.0.1:9/a.png',
      'http://10.1.2.3/a.png',
      'http://[::1]/a.png',
      'http://intranet/a.png',
      'data:image/svg+xml;base64,PHN2Zz4=',
    ])
      expect(kept(src), src).toBe(false);
    expect(renderSafeHtml('<img src="http://10.1.2.3/a.png">').hasExternalContent).toBe(false);
  });

  it('keeps only links that lead outside, in a new tab', () => {
    expect(
      renderSafeHtml('<a href="relative">r</a><a href="#top">t</a><a href="mailto:a@b.example">m</a>').html,
    ).toBe(
      '<a target="_blank" rel="noopener noreferrer">r</a><a target="_blank" rel="noopener noreferrer">t</a>' +
        '<a href="mailto:a@b.example" target="_blank" rel="noopener noreferrer">m</a>',
    );
  });

  it('keeps the styles of the head, drops style elements holding markup, and notices any CSS fetch', () => {
    expect(
      renderSafeHtml('<html><head><style>p{color:red}</style></head><body><p>x</p></body></html>').html,
    ).toBe('<style>p{color:red}</style><p>x</p>');
    expect(renderSafeHtml('<style></style><img src onerror=alert(1)></style><p>x</p>').html).not.toContain(
      'onerror',
    );
    expect(renderSafeHtml('<style>p{background:u\\72l(x)}</style>').hasExternalContent).toBe(true);
    expect(
      renderSafeHtml('<style>p{background:url(data:image/png;base64,AA)}</style>').hasExternalContent,
    ).toBe(false);
  });
});

describe('contentIdKey', () => {
  it('compares Content-IDs without brackets, escapes and case', () => {
    expect(contentIdKey('<Logo@Example.com>')).toBe('logo@example.com');
    expect(contentIdKey('part1%40example')).toBe('part1@example');
  });
});
