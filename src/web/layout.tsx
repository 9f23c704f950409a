// The page shell both sites share: one small stylesheet inline (no extra request, no build step), a skip
// link, landmarks, readable on a phone. Colours keep at least 4.5:1 contrast with their background.
import type { Child } from "hono/jsx";

const CSS = `
*,*::before,*::after{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.5;color:#1a1a1a;background:#f6f7f9}
body{margin:0}
a{color:#0b57d0}
a:focus-visible,.scroll:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible,summary:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:8px;z-index:9}
header.top{background:#17324d;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between}
header.top a,header.top .who{color:#fff}
header.top h1{font-size:1.15rem;margin:0}
header.top form{margin:0}
main{max-width:64rem;margin:0 auto;padding:1rem}
h2{font-size:1.25rem;margin:1.5rem 0 .5rem}
h3{font-size:1.05rem;margin:1rem 0 .4rem}
section.card,article.card{background:#fff;border:1px solid #d0d5dd;border-radius:8px;padding:1rem;margin:0 0 1rem}
label{display:block;font-weight:600;margin:.6rem 0 .2rem}
input[type=checkbox]{width:1.2rem;height:1.2rem;vertical-align:middle;margin-right:.4rem}
input[type=text],input[type=number],input[type=email],input[type=password],input[type=search],select,textarea{width:100%;max-width:28rem;font:inherit;padding:.55rem .6rem;border:1px solid #6b7280;border-radius:6px;background:#fff;color:#1a1a1a}
textarea{min-height:4rem}
button,.button{font:inherit;display:inline-block;min-height:44px;padding:.5rem .9rem;border-radius:6px;border:1px solid #0b57d0;background:#0b57d0;color:#fff;cursor:pointer;text-decoration:none;margin:.25rem .25rem .25rem 0}
button.secondary,.button.secondary{background:#fff;color:#0b57d0}
button.danger{background:#b3261e;border-color:#b3261e;color:#fff}
form.inline{display:inline}
.msg{padding:.75rem 1rem;border-radius:6px;margin:0 0 1rem;border:1px solid}
.msg.ok{background:#e7f5ec;border-color:#1e7b3a;color:#14532d}
.msg.err{background:#fdecea;border-color:#b3261e;color:#7a1712}
.badge{display:inline-block;padding:0 .5rem;border-radius:999px;font-size:.9rem;font-weight:600;border:1px solid}
.badge.ok{background:#e7f5ec;color:#14532d;border-color:#1e7b3a}
.badge.bad{background:#fdecea;color:#7a1712;border-color:#b3261e}
.badge.warn{background:#fff4e0;color:#6b3e00;border-color:#a15c00}
.badge.neutral{background:#eef0f3;color:#333;border-color:#6b7280}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.5rem 0}
dl.facts dt{font-weight:600;color:#374151}
dl.facts dd{margin:0;overflow-wrap:anywhere}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;vertical-align:top;padding:.45rem .5rem;border-bottom:1px solid #e5e7eb}
th{background:#eef0f3}
caption{text-align:left;font-weight:600;padding:.3rem 0}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f3f4f6;padding:.5rem;border-radius:6px;font-size:.85rem;max-height:20rem;overflow:auto}
.muted{color:#4b5563}
.grid{display:grid;gap:1rem;grid-template-columns:repeat(auto-fill,minmax(min(100%,18rem),1fr))}
.grid.wide{grid-template-columns:repeat(auto-fill,minmax(min(100%,30rem),1fr))}
@media (max-width:40rem){dl.facts{grid-template-columns:1fr}dl.facts dd{margin-bottom:.4rem}main{padding:.6rem}}
`;

/** `script`: the page has forms with data-confirm (the CSP allows exactly CONFIRM_SCRIPT, src/web/site.ts). */
export function Page(props: { lang: string; title: string; heading: string; nav?: Child; children?: Child; script?: boolean }) {
  return (
    <html lang={props.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>{props.title}</title>
        <style dangerouslySetInnerHTML={{ __html: CSS }} />
      </head>
      <body>
        <a class="skip" href="#main">
          {props.lang === "fr" ? "Aller au contenu" : "Skip to content"}
        </a>
        <header class="top">
          <h1>{props.heading}</h1>
          {props.nav}
        </header>
        <main id="main" tabindex={-1}>
          {props.children}
        </main>
        {props.script ? <script dangerouslySetInnerHTML={{ __html: CONFIRM_SCRIPT }} /> : null}
      </body>
    </html>
  );
}

export function Message(props: { kind: "ok" | "err"; text: string | null | undefined }) {
  if (!props.text) return null;
  return (
    <div class={`msg ${props.kind}`} role={props.kind === "err" ? "alert" : "status"}>
      {props.text}
    </div>
  );
}

/** A POST form carrying the session's CSRF token. */
export function PostForm(props: { action: string; csrf: string; class?: string; children?: Child; confirm?: string }) {
  return (
    <form method="post" action={props.action} class={props.class} data-confirm={props.confirm}>
      <input type="hidden" name="_csrf" value={props.csrf} />
      {props.children}
    </form>
  );
}

/**
 * Progressive enhancement, the only script: forms with data-confirm ask before submitting (without
 * JavaScript the server's own confirmation page or the plain button is used).
 */
export const CONFIRM_SCRIPT = `document.addEventListener("submit",function(e){var f=e.target,m=f&&f.getAttribute("data-confirm");if(m&&!window.confirm(m))e.preventDefault()});`;
