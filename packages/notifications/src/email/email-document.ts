/**
 * One email, described once and rendered twice: as plain text and as simple HTML. Every piece of text is
 * data here; only the HTML renderer turns it into markup, escaping all of it, so a workspace name such as
 * `<img src=x onerror=…>` reaches the reader as text.
 */
export type EmailBlock =
  | { kind: 'paragraph'; text: string }
  | { kind: 'list'; items: string[] }
  | { kind: 'fields'; rows: Array<[label: string, value: string]> }
  | { kind: 'action'; label: string; url: string };

export interface EmailDocument {
  subject: string;
  blocks: EmailBlock[];
  /** The closing line (who sends it and why the reader gets it). */
  footer: string;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for an HTML element body or a double-quoted attribute. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** A subject is one header line: control characters and runs of whitespace become one space. */
export function oneLine(value: string, max = 200): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const flat = value.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function renderEmail(doc: EmailDocument): RenderedEmail {
  return { subject: oneLine(doc.subject), text: renderText(doc), html: renderHtml(doc) };
}

function renderText(doc: EmailDocument): string {
  return `${[...doc.blocks.map(blockText), `-- \n${doc.footer}`].join('\n\n')}\n`;
}

function blockText(b: EmailBlock): string {
  switch (b.kind) {
    case 'paragraph':
      return b.text;
    case 'list':
      return b.items.map((item) => `  - ${item}`).join('\n');
    case 'fields':
      return b.rows.map(([label, value]) => `  ${label}: ${value}`).join('\n');
    case 'action':
      return `${b.label}: ${b.url}`;
  }
}

const CELL = 'padding:2px 12px 2px 0;vertical-align:top;text-align:left';

function renderHtml(doc: EmailDocument): string {
  return [
    '<!doctype html>',
    `<html><head><meta charset="utf-8"><title>${escapeHtml(oneLine(doc.subject))}</title></head>`,
    '<body style="font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:1.5;color:#1f2328">',
    ...doc.blocks.map(blockHtml),
    `<hr><p style="color:#59636e;font-size:12px">${multiline(doc.footer)}</p>`,
    '</body></html>',
    '',
  ].join('\n');
}

function blockHtml(b: EmailBlock): string {
  switch (b.kind) {
    case 'paragraph':
      return `<p>${multiline(b.text)}</p>`;
    case 'list':
      return `<ul>${b.items.map((item) => `<li>${multiline(item)}</li>`).join('')}</ul>`;
    case 'fields':
      return `<table role="presentation">${b.rows
        .map(
          ([label, value]) =>
            `<tr><th style="${CELL}">${escapeHtml(label)}</th><td style="${CELL}">${multiline(value)}</td></tr>`,
        )
        .join('')}</table>`;
    case 'action':
      return `<p><a href="${escapeHtml(b.url)}">${escapeHtml(b.label)}</a></p>`;
  }
}

function multiline(text: string): string {
  return escapeHtml(text).replace(/\r?\n/g, '<br>');
}
