/** A self-contained page listing every route of /openapi.json (no external assets). */
export function docsPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Couponflow API</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
code{background:#f3f3f3;padding:0 .25rem}.m{display:inline-block;width:4.5rem;font-weight:bold;text-transform:uppercase}
li{margin:.3rem 0}pre{background:#f7f7f7;padding:.5rem;overflow:auto;font-size:.8rem}</style></head>
<body><h1>Couponflow API</h1><p>Machine-readable contract: <a href="/openapi.json">/openapi.json</a>.</p><ul id="routes"></ul>
<script>
fetch('/openapi.json').then(r=>r.json()).then(doc=>{
  const ul=document.getElementById('routes');
  for(const [path,ops] of Object.entries(doc.paths)){for(const [m,op] of Object.entries(ops)){
    const li=document.createElement('li');
    const det=document.createElement('details');
    const sum=document.createElement('summary');
    sum.innerHTML='<span class="m">'+m+'</span><code></code> ';
    sum.querySelector('code').textContent=path;
    sum.append(op.summary||'');
    const pre=document.createElement('pre');pre.textContent=JSON.stringify({request:op.requestBody,parameters:op.parameters,responses:op.responses},null,2);
    det.append(sum,pre);li.append(det);ul.append(li);}}
});
</script></body></html>`;
}
