/**
 * Typed arrays in states (numerics/arrays.ts): in memory a state holds the array itself (HeldArray),
 * whose JSON must be the `{ dtype, base64 }` text states always had (shard files, onStates, merge read
 * it); a held array is a snapshot, decoding gives a fresh array, and one that crossed a structured
 * clone (a side worker's states) decodes and is made a HeldArray again with the same JSON.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { asHeld, decodeArray, encodeArray, handOver, held, HeldArray, type Typed } from "../../src/numerics/arrays.js";

const samples: [string, Typed][] = [
  ["float64", Float64Array.from([1.5, -0, 1e-300, -7, Math.PI])],
  ["float32", Float32Array.from([0.1, -2.5, 3e38])],
  ["int32", Int32Array.from([-1, 0, 2 ** 31 - 1])],
  ["uint32", Uint32Array.from([0, 2 ** 32 - 1])],
  ["uint8", Uint8Array.from([1, 2, 3, 255, 0])],
  ["float64", new Float64Array(0)],
];
/** The text encodeArray wrote before states held arrays in memory. */
const oldText = (dtype: string, a: Typed) => JSON.stringify({ dtype, base64: Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64") });

test("encodeArray's JSON is the { dtype, base64 } text of old, for every dtype, and of a view into a larger buffer", () => {
  for (const [dtype, a] of samples) {
    const e = encodeArray(a);
    assert.ok(e instanceof HeldArray);
    assert.equal(JSON.stringify(e), oldText(dtype, a));
    assert.equal(JSON.stringify({ x: [e], y: 1 }), `{"x":[${oldText(dtype, a)}],"y":1}`);
    assert.equal(e.base64, JSON.parse(oldText(dtype, a)).base64);
  }
  const whole = Float64Array.from([9, 8, 7, 6]), view = whole.subarray(1, 3);
  assert.equal(JSON.stringify(encodeArray(view)), oldText("float64", Float64Array.from([8, 7])));
});

test("a held array is a snapshot, and decodeArray gives a fresh array from it and from its JSON", () => {
  const a = Float64Array.from([1, 2, 3]);
  const e = encodeArray(a);
  a[0] = 99;
  const d = decodeArray(e, "float64", "t", 3);
  assert.deepEqual([...d], [1, 2, 3]);
  d[1] = -5;
  assert.deepEqual([...decodeArray(e, "float64", "t")], [1, 2, 3], "changing a decoded array changed the state");
  assert.deepEqual([...decodeArray(JSON.parse(JSON.stringify(e)), "float64", "t", 3)], [1, 2, 3]);
  assert.throws(() => decodeArray(e, "float32", "here"), /state here: expected \{ dtype: "float32", base64 \}/);
  assert.throws(() => decodeArray(e, "float64", "here", 4), /state here: 3 values, expected 4/);
  assert.throws(() => decodeArray({ dtype: "float64", data: Float32Array.from([1]) }, "float64", "here"), /expected \{ dtype: "float64", base64 \}/);
});

test("after a structured clone a held array decodes, and held() makes it a HeldArray with the same JSON again", () => {
  const body = { layers: [{ layer: 2, sum: encodeArray(Float64Array.from([0.25, -1])), idx: encodeArray(Uint32Array.from([7])) }], n: 3, s: "x", none: null };
  const want = JSON.stringify(body);
  const cloned = structuredClone(body);
  assert.ok(!(cloned.layers[0].sum instanceof HeldArray), "structuredClone kept the class: this test no longer tests the worker path");
  assert.notEqual(JSON.stringify(cloned), want);
  assert.deepEqual([...decodeArray(cloned.layers[0].sum, "float64", "t", 2)], [0.25, -1]);
  const back = held(cloned);
  assert.equal(back, cloned, "held() works in place");
  assert.ok(back.layers[0].sum instanceof HeldArray);
  assert.equal(JSON.stringify(back), want);
  // only exactly { dtype, data: typed array of that dtype } is taken for a clone
  assert.equal(asHeld({ dtype: "float64", data: [1, 2] }), null);
  assert.equal(asHeld({ dtype: "float64", data: Float64Array.from([1]), more: 1 }), null);
  assert.equal(asHeld({ dtype: "int32", data: Float64Array.from([1]) }), null);
});

test("handOver: the next decode of a handed-over array returns the array itself, later ones a copy; others always copy", () => {
  const body = { l: [{ a: encodeArray(Float64Array.from([1, 2])) }], b: encodeArray(Uint8Array.from([3])) };
  const a = (body.l[0].a as HeldArray).data;
  assert.notEqual(decodeArray(body.l[0].a, "float64", "t"), a, "a decode without handOver returned the held array");
  assert.equal(handOver(body), body);
  assert.equal(decodeArray(body.l[0].a, "float64", "t"), a);
  assert.equal(decodeArray(body.b, "uint8", "t"), (body.b as HeldArray).data);
  const again = decodeArray(body.l[0].a, "float64", "t");
  assert.notEqual(again, a);
  assert.deepEqual([...again], [1, 2]);
});
