import { test } from "node:test";
import assert from "node:assert/strict";
import { escapeHtml, inlineScript, scriptJson, slugify, stableStringify, toCsv } from "../../src/report/escape.js";

test("escapeHtml escapes the five HTML metacharacters and nothing else", () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&amp;</a> ok`), "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt; ok");
  assert.equal(escapeHtml(`"><img src=x onerror=alert(1)>`), "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
});

test("scriptJson sorts keys, escapes < > & U+2028 U+2029, and parses back to the same value", () => {
  const value = { z: 1, a: ["</script><script>alert(1)</script>", "<!--", "a&b", "\u2028\u2029"], m: { y: null, b: true } };
  const s = scriptJson(value);
  assert.equal(s.indexOf("<"), -1);
  assert.equal(s.indexOf(">"), -1);
  assert.ok(!/[\u2028\u2029]/.test(s));
  assert.ok(s.startsWith('{"a":['), s);
  assert.ok(s.endsWith(',"m":{"b":true,"y":null},"z":1}'), s);
  assert.deepEqual(JSON.parse(s), value);
});

test("stableStringify gives the same text whatever the key insertion order, and turns typed arrays into arrays", () => {
  assert.equal(stableStringify({ b: 1, a: { d: 2, c: 3 } }), stableStringify({ a: { c: 3, d: 2 }, b: 1 }));
  assert.equal(stableStringify({ x: Float32Array.of(0.5, 1) }), '{"x":[0.5,1]}');
});

test("inlineScript breaks every </script and <!-- (any case) but keeps the script's meaning", () => {
  const src = `var a = "</script>"; var b = '</SCRIPT '; var c = "<!--";`;
  const out = inlineScript(src);
  assert.ok(!/<\/script/i.test(out));
  assert.ok(!out.includes("<!--"));
  // eslint-disable-next-line no-new-func
  const values = new Function(out + " return [a, b, c];")();
  assert.deepEqual(values, ["</script>", "</SCRIPT ", "<!--"]);
});

test("slugify keeps ASCII letters and digits, joins the rest with hyphens", () => {
  assert.equal(slugify("Fig. 2: Outliers (BERT-base)"), "fig-2-outliers-bert-base");
  assert.equal(slugify("Café à la crème"), "cafe-a-la-creme");
  assert.equal(slugify(`"><img src=x>`), "img-src-x");
  assert.equal(slugify("$$$"), "section");
});

test("toCsv quotes fields with commas, quotes and newlines, leaves null empty, ends rows with CRLF", () => {
  assert.equal(toCsv(["a", "b,c"], [[1, 'say "hi"'], [null, "x\ny"]]), 'a,"b,c"\r\n1,"say ""hi"""\r\n,"x\ny"\r\n');
});
