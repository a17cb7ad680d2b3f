#!/usr/bin/env node
// validate_speedscope.js FILE: validates FILE against the JSON schema that the speedscope npm
// package ships (dist/release/file-format-schema.json) with Ajv, and prints a JSON summary for
// the C++ test to compare: {"valid", "errors", "frames", "profiles":[{"name","type","unit",
// "samples","total","inclusive":{function name: weight of samples whose stack holds it}}]}.
// Exit status: 0 valid, 1 invalid, 2 usage or unreadable input.
'use strict';
const fs = require('fs');
const path = require('path');
const Ajv = require('ajv');

if (process.argv.length !== 3) {
  console.error('usage: validate_speedscope.js FILE');
  process.exit(2);
}
const schemaPath = path.join(path.dirname(require.resolve('speedscope/package.json')), 'dist/release/file-format-schema.json');
const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
const data = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

const ajv = new Ajv({allErrors: true, strict: false});
const validate = ajv.compile(schema);
const valid = validate(data);
const summary = {valid, errors: valid ? [] : validate.errors, frames: (data.shared && data.shared.frames || []).length, profiles: []};
for (const p of data.profiles || []) {
  const inclusive = {};
  let total = 0;
  (p.samples || []).forEach((stack, i) => {
    const w = p.weights[i];
    total += w;
    for (const name of new Set(stack.map((f) => data.shared.frames[f].name))) inclusive[name] = (inclusive[name] || 0) + w;
  });
  summary.profiles.push({name: p.name, type: p.type, unit: p.unit, samples: (p.samples || []).length, total, inclusive});
}
console.log(JSON.stringify(summary));
process.exit(valid ? 0 : 1);
