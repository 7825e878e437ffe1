import { encode, Decoder } from '../dist/shared/codec.js';
function bench(name, fn, n = 2000000) { for (let i=0;i<n/10;i++) fn(i); const t=process.hrtime.bigint(); let x; for (let i=0;i<n;i++) x=fn(i); const dt=Number(process.hrtime.bigint()-t)/n; console.log(name.padEnd(30), dt.toFixed(1), 'ns'); return x; }
const sab = new SharedArrayBuffer(4096); const u8 = new Uint8Array(sab); const dec = new Decoder(sab);
const mk = { string: (i) => `item-${i}-abcdefgh`, object: (i) => ({ id: i, name: 'widget', ok: true }) };
for (const [k, make] of Object.entries(mk)) {
  bench('make ' + k, (i) => make(i));
  bench('encode ' + k, (i) => encode(make(i), 64).length);
  const e = encode(make(123456), 64); u8.set(e.bytes.subarray(0, e.length), 8); const len = e.length;
  bench('decode ' + k, () => dec.decode(8, len));
}
