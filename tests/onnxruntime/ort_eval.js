#!/usr/bin/env node
// Runs an ONNX model with ONNX Runtime (npm onnxruntime-node, CPU) on samples from a .npy file and
// prints one JSON line: the runtime version, samples, top-1 against labels, and agreement with
// reference predictions. bitsearch did not write ONNX Runtime, so its figures judge an export.
//
//   node ort_eval.js --model model.onnx --x x.npy [--y y.npy] [--reference ref.npy]
//                    [--batch 256] [--logits-out logits.npy]
//
// x: uint8 / float16 / float32 / float64 samples, fed to the model's first input as float32
// exactly as stored (no preprocessing here). y: integer class ids [N]. reference: logits [N, K]
// (agreement of argmax, max |logit difference|) or predicted ids [N]. Exit code 0 when it ran,
// 1 on a bad argument or file (one line on stderr).
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

function fail(message) {
  process.stderr.write(`ort_eval: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const args = {batch: 256};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i], value = argv[i + 1];
    if (!key.startsWith('--') || value === undefined) fail(`bad argument ${key}`);
    args[key.slice(2).replace(/-/g, '_')] = key === '--batch' ? Number(value) : value;
  }
  if (!args.model || !args.x) fail('usage: ort_eval.js --model M.onnx --x X.npy [--y Y.npy] [--reference R.npy]');
  return args;
}

// A .npy file as {shape, data (typed array)}; C order only (numpy.save's default).
function readNpy(path) {
  let buf;
  try {
    buf = fs.readFileSync(path);
  } catch (e) {
    fail(`${path}: ${e.message}`);
  }
  if (buf.length < 10 || buf.toString('latin1', 1, 6) !== 'NUMPY') fail(`${path}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !shape) fail(`${path}: malformed .npy header`);
  if (/'fortran_order':\s*True/.test(header)) fail(`${path}: Fortran-ordered arrays are not supported`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const body = buf.subarray(start + headerLen);
  const types = {
    '|u1': [Uint8Array, 1], '<f4': [Float32Array, 4], '<f8': [Float64Array, 8], '<i8': [BigInt64Array, 8],
    '<i4': [Int32Array, 4], '<f2': [null, 2], '|i1': [Int8Array, 1], '<i2': [Int16Array, 2],
  };
  const t = types[descr[1]];
  if (!t) fail(`${path}: dtype ${descr[1]} is not supported`);
  if (body.length !== count * t[1]) fail(`${path}: holds ${body.length} bytes, shape needs ${count * t[1]}`);
  const aligned = Buffer.from(body);  // a fresh buffer starts aligned for any typed array
  let data;
  if (t[0] === null) {  // float16 -> float32
    data = new Float32Array(count);
    for (let i = 0; i < count; ++i) data[i] = halfToFloat(aligned.readUInt16LE(2 * i));
  } else {
    data = new t[0](aligned.buffer, aligned.byteOffset, count);
  }
  return {shape: dims, data};
}

function halfToFloat(h) {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * Math.pow(2, -14) * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * Math.pow(2, e - 15) * (1 + f / 1024);
}

const argmax = (row) => row.reduce((best, v, i) => (v > row[best] ? i : best), 0);

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const x = readNpy(args.x);
  const y = args.y ? readNpy(args.y) : null;
  const ref = args.reference ? readNpy(args.reference) : null;
  const n = x.shape[0], per = x.data.length / n;
  if (y && y.shape[0] !== n) fail(`${args.y}: ${y.shape[0]} labels for ${n} samples`);
  if (ref && ref.shape[0] !== n) fail(`${args.reference}: ${ref.shape[0]} rows for ${n} samples`);
  let session;
  try {
    session = await ort.InferenceSession.create(args.model);
  } catch (e) {
    fail(`${args.model}: ONNX Runtime cannot load it: ${e.message}`);
  }
  const input = session.inputNames[0], output = session.outputNames[0];
  let correct = 0, agree = 0, maxDiff = 0, classes = 0;
  const logitsOut = [];
  for (let from = 0; from < n; from += args.batch) {
    const b = Math.min(args.batch, n - from);
    const chunk = Float32Array.from(x.data.subarray(from * per, (from + b) * per), Number);
    const feeds = {[input]: new ort.Tensor('float32', chunk, [b, ...x.shape.slice(1)])};
    const result = await session.run(feeds);
    const logits = result[output];
    classes = logits.dims[1];
    for (let i = 0; i < b; ++i) {
      const row = Array.from(logits.data.subarray(i * classes, (i + 1) * classes));
      if (args.logits_out) logitsOut.push(...row);
      const pred = argmax(row);
      if (y && pred === Number(y.data[from + i])) ++correct;
      if (ref) {
        if (ref.shape.length === 2) {
          const refRow = Array.from(ref.data.subarray((from + i) * classes, (from + i + 1) * classes), Number);
          if (pred === argmax(refRow)) ++agree;
          for (let k = 0; k < classes; ++k) maxDiff = Math.max(maxDiff, Math.abs(row[k] - refRow[k]));
        } else if (pred === Number(ref.data[from + i])) {
          ++agree;
        }
      }
    }
  }
  if (args.logits_out) writeNpyFloat32(args.logits_out, [n, classes], logitsOut);
  const report = {runtime: `onnxruntime-node ${ort.env.versions.node}`, model: args.model, samples: n, classes};
  if (y) report.top1_percent = (100 * correct) / n;
  if (ref) report.agreement_percent = (100 * agree) / n;
  if (ref && ref.shape.length === 2) report.max_abs_logit_diff = maxDiff;
  process.stdout.write(JSON.stringify(report) + '\n');
}

function writeNpyFloat32(path, shape, values) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head.writeUInt16LE(header.length, 8);
  fs.writeFileSync(path, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(Float32Array.from(values).buffer)]));
}

main().catch((e) => fail(e.stack || String(e)));
