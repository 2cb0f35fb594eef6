/** Escapes text for HTML element content and double-quoted attribute values. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function page(title: string, body: string, extraHead = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(title)} | AWS Marketplace (simulator)</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;color:#16191f}
header{background:#232f3e;color:#fff;padding:.6rem 1.2rem}
header a{color:#fff;margin-right:1rem;text-decoration:none}
main{padding:1rem 1.2rem;max-width:60rem}
button{background:#ff9900;border:1px solid #e88b00;border-radius:4px;padding:.4rem 1rem;cursor:pointer}
table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:left}
.note{color:#545b64;font-size:.9rem}
</style>
${extraHead}
</head>
<body>
<header><a href="/marketplace">AWS Marketplace (simulator)</a><a href="/marketplace/library">Your Marketplace software</a></header>
<main>
${body}
</main>
</body>
</html>
`;
}
