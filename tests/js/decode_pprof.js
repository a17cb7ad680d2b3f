#!/usr/bin/env node
// decode_pprof.js FILE: decodes a gzip-compressed profile.proto with the pprof-format package
// (an implementation independent of ours) and prints a JSON summary for the C++ test:
// {"sample_types":[[type,unit]], "period_type", "period", "samples", "totals":[sum per value],
//  "functions":[{"name","filename"}], "mappings":[{"filename","build_id"}],
//  "locations", "locations_with_lines", "inclusive":{function name: samples/count whose stack holds it},
//  "labels":[label keys]}.
'use strict';
const fs = require('fs');
const zlib = require('zlib');
const {Profile} = require('pprof-format');

if (process.argv.length !== 3) {
  console.error('usage: decode_pprof.js FILE');
  process.exit(2);
}
const profile = Profile.decode(zlib.gunzipSync(fs.readFileSync(process.argv[2])));
const str = (i) => profile.stringTable.strings[Number(i)];
const functions = new Map(profile.function.map((f) => [Number(f.id), {name: str(f.name), filename: str(f.filename)}]));
const locations = new Map(profile.location.map((l) => [Number(l.id), l]));
const totals = profile.sampleType.map(() => 0);
const inclusive = {};
const labelKeys = new Set();
for (const s of profile.sample) {
  s.value.forEach((v, i) => { totals[i] += Number(v); });
  const names = new Set();
  for (const id of s.locationId) {
    const loc = locations.get(Number(id));
    if (!loc) throw new Error('sample names missing location ' + id);
    for (const line of loc.line) {
      const fn = functions.get(Number(line.functionId));
      if (!fn) throw new Error('line names missing function ' + line.functionId);
      names.add(fn.name);
    }
  }
  for (const n of names) inclusive[n] = (inclusive[n] || 0) + Number(s.value[0]);
  for (const l of s.label) labelKeys.add(str(l.key));
}
console.log(JSON.stringify({
  sample_types: profile.sampleType.map((t) => [str(t.type), str(t.unit)]),
  period_type: profile.periodType ? [str(profile.periodType.type), str(profile.periodType.unit)] : null,
  period: Number(profile.period),
  samples: profile.sample.length,
  totals,
  functions: [...functions.values()],
  mappings: profile.mapping.map((m) => ({filename: str(m.filename), build_id: str(m.buildId)})),
  locations: profile.location.length,
  locations_with_lines: profile.location.filter((l) => l.line.length > 0).length,
  inclusive,
  labels: [...labelKeys],
}));
