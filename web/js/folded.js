// Folded stacks ("comm;outer;...;inner COUNT" per line, Brendan Gregg's format, as
// GET /api/v1/profiles/{id}?format=folded serves them) -> a call tree for the flame graph.

export function parseFolded(text) {
  const root = { name: 'all', value: 0, self: 0, children: new Map(), parent: null, depth: 0 };
  for (const line of text.split('\n')) {
    const space = line.lastIndexOf(' ');
    if (space <= 0) continue;
    const count = Number(line.slice(space + 1));
    if (!Number.isFinite(count) || count <= 0) continue;
    let node = root;
    node.value += count;
    for (const name of line.slice(0, space).split(';')) {
      let child = node.children.get(name);
      if (!child) {
        child = { name, value: 0, self: 0, children: new Map(), parent: node, depth: node.depth + 1 };
        node.children.set(name, child);
      }
      child.value += count;
      node = child;
    }
    node.self += count;
  }
  return freeze(root);
}

// Children as arrays sorted by name (as flamegraph.pl does: the same stacks always line up in
// the same place, whatever their counts).
function freeze(node) {
  const children = [...node.children.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  node.children = children;
  for (const c of children) freeze(c);
  return node;
}

export function maxDepth(node) {
  let d = node.depth;
  for (const c of node.children) d = Math.max(d, maxDepth(c));
  return d;
}

// The frames holding the most samples themselves (leaf time), heaviest first: "where the time
// goes", shown beside the graph and used by the tests.
export function topSelf(root, n = 10) {
  const totals = new Map();
  (function walk(node) {
    if (node !== root && node.self > 0) totals.set(node.name, (totals.get(node.name) || 0) + node.self);
    for (const c of node.children) walk(c);
  })(root);
  return [...totals.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, self]) => ({ name, self }));
}
