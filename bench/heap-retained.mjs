// What each instance of one class retains in a V8 .heapsnapshot (e.g. PUSH_HEAP_SNAPSHOT_AT=live
// PUSH_HEAP_SNAPSHOT=file npx tsx bench/push-memory.mjs 200): the dominator tree of the heap (weak edges left out),
// each node's retained size, then for every instance of `class`: its retained size and, summed over the instances,
// what each of its members retains (member name → retained bytes of the node it points to, when the instance
// dominates it), one level down for the largest members too. Also the top constructors by retained size ÷ instance.
//   npx tsx bench/heap-retained.mjs file.heapsnapshot [class=Mailbox] [depth=2]
import { readFileSync } from "node:fs";

const snap = JSON.parse(readFileSync(process.argv[2], "utf8"));
const cls = process.argv[3] ?? "Mailbox";
const depth = Number(process.argv[4] ?? 2);
const meta = snap.snapshot.meta;
const NF = meta.node_fields.length;
const EF = meta.edge_fields.length;
const nType = meta.node_fields.indexOf("type");
const nName = meta.node_fields.indexOf("name");
const nSize = meta.node_fields.indexOf("self_size");
const nEdges = meta.node_fields.indexOf("edge_count");
const eType = meta.edge_fields.indexOf("type");
const eName = meta.edge_fields.indexOf("name_or_index");
const eTo = meta.edge_fields.indexOf("to_node");
const nodeTypes = meta.node_types[nType];
const edgeTypes = meta.edge_types[eType];
const WEAK = edgeTypes.indexOf("weak");
const SHORTCUT = edgeTypes.indexOf("shortcut");
const ELEMENT = edgeTypes.indexOf("element");
const HIDDEN = edgeTypes.indexOf("hidden");
const nodes = snap.nodes;
const edges = snap.edges;
const N = nodes.length / NF;
const firstEdge = new Uint32Array(N + 1);
for (let i = 0, e = 0; i < N; i++) {
  firstEdge[i] = e;
  e += nodes[i * NF + nEdges] * EF;
  firstEdge[i + 1] = e;
}
const strong = (e) => edges[e + eType] !== WEAK && edges[e + eType] !== SHORTCUT;
const name = (i) => snap.strings[nodes[i * NF + nName]];
const type = (i) => nodeTypes[nodes[i * NF + nType]];
const edgeName = (e) => {
  const t = edges[e + eType];
  return t === ELEMENT || t === HIDDEN ? `[${edges[e + eName]}]` : String(snap.strings[edges[e + eName]]);
};

// Reverse postorder from the root (node 0), iterative DFS.
const order = new Int32Array(N).fill(-1); // node → postorder number
const post = []; // postorder number → node
{
  const stack = [0];
  const it = new Uint32Array(N);
  const seen = new Uint8Array(N);
  seen[0] = 1;
  it[0] = firstEdge[0];
  while (stack.length) {
    const v = stack[stack.length - 1];
    let pushed = false;
    while (it[v] < firstEdge[v + 1]) {
      const e = it[v];
      it[v] += EF;
      if (!strong(e)) continue;
      const w = edges[e + eTo] / NF;
      if (seen[w]) continue;
      seen[w] = 1;
      it[w] = firstEdge[w];
      stack.push(w);
      pushed = true;
      break;
    }
    if (!pushed) {
      order[v] = post.length;
      post.push(v);
      stack.pop();
    }
  }
}
// Predecessors (strong edges between reachable nodes).
const predCount = new Uint32Array(N + 1);
for (let v = 0; v < N; v++)
  if (order[v] >= 0) for (let e = firstEdge[v]; e < firstEdge[v + 1]; e += EF) if (strong(e)) predCount[edges[e + eTo] / NF]++;
const predStart = new Uint32Array(N + 1);
for (let i = 0; i < N; i++) predStart[i + 1] = predStart[i] + predCount[i];
const preds = new Uint32Array(predStart[N]);
const fill = predStart.slice();
for (let v = 0; v < N; v++)
  if (order[v] >= 0)
    for (let e = firstEdge[v]; e < firstEdge[v + 1]; e += EF)
      if (strong(e)) {
        const w = edges[e + eTo] / NF;
        preds[fill[w]++] = v;
      }
// Cooper–Harvey–Kennedy: idom by postorder numbers.
const R = post.length;
const idom = new Int32Array(R).fill(-1);
idom[R - 1] = R - 1; // the root has the highest postorder number
for (let changed = true; changed; ) {
  changed = false;
  for (let p = R - 2; p >= 0; p--) {
    const v = post[p];
    let nd = -1;
    for (let k = predStart[v]; k < predStart[v + 1]; k++) {
      const q = order[preds[k]];
      if (q < 0 || idom[q] < 0) continue;
      if (nd < 0) {
        nd = q;
        continue;
      }
      let a = q;
      let b = nd;
      while (a !== b) {
        while (a < b) a = idom[a];
        while (b < a) b = idom[b];
      }
      nd = a;
    }
    if (nd >= 0 && idom[p] !== nd) {
      idom[p] = nd;
      changed = true;
    }
  }
}
const retained = new Float64Array(N);
for (let p = 0; p < R; p++) retained[post[p]] += nodes[post[p] * NF + nSize];
for (let p = 0; p < R - 1; p++) if (idom[p] >= 0) retained[post[idom[p]]] += retained[post[p]];
const dominates = (a, b) => {
  let p = order[b];
  const pa = order[a];
  while (p >= 0 && p < pa) p = idom[p];
  return p === pa;
};

const kb = (x) => (x / 1024).toFixed(1);
const instances = [];
// A Durable Object's instance shows as a native "CppgcShim" (workerd wraps it): `class` may also be `member:<name>`,
// every node with a property edge of that name (e.g. member:waits for the Mailbox, member:sockets for the floor's Box).
const member = cls.startsWith("member:") ? cls.slice(7) : null;
const hasMember = (i) => {
  for (let e = firstEdge[i]; e < firstEdge[i + 1]; e += EF) if (edgeName(e) === member && edges[e + eType] !== ELEMENT) return true;
  return false;
};
for (let i = 0; i < N; i++) if (order[i] >= 0 && (member ? hasMember(i) : type(i) === "object" && name(i) === cls)) instances.push(i);
console.log(`${N} nodes, ${R} reachable; ${instances.length} × ${cls}`);
if (instances.length) {
  const tot = instances.reduce((s, i) => s + retained[i], 0);
  console.log(
    `${cls}: retained per instance ${kb(tot / instances.length)} KB (min ${kb(Math.min(...instances.map((i) => retained[i])))}, max ${kb(Math.max(...instances.map((i) => retained[i])))})`,
  );
  // Members, summed over the instances (only what the instance dominates), down to `depth` levels.
  const walk = (roots, level, prefix) => {
    const sums = new Map();
    for (const i of roots)
      for (let e = firstEdge[i]; e < firstEdge[i + 1]; e += EF) {
        if (!strong(e)) continue;
        const w = edges[e + eTo] / NF;
        if (!dominates(i, w) || w === i) continue;
        const key = `${edgeName(e)} → ${type(w)} ${name(w).slice(0, 40)}`;
        const s = sums.get(key) ?? { r: 0, n: 0, nodes: [] };
        s.r += retained[w];
        s.n++;
        s.nodes.push(w);
        sums.set(key, s);
      }
    for (const [k, s] of [...sums].sort((a, b) => b[1].r - a[1].r).slice(0, level === 1 ? 40 : 12)) {
      if (s.r / instances.length < 64) continue;
      console.log(`${prefix}${kb(s.r / instances.length).padStart(8)} KB/instance  (${s.n}) ${k}`);
      if (level < depth && s.r / instances.length > 512) walk(s.nodes, level + 1, `${prefix}    `);
    }
  };
  walk(instances, 1, "  ");
}
// Constructors by retained size (sum over instances that no other instance of the same name dominates is hard to get
// cheaply: this sums self sizes and counts, and the retained size of each name's instances dominated by the root's
// direct children is not attempted).
const byName = new Map();
for (let i = 0; i < N; i++) {
  if (order[i] < 0) continue;
  const t = type(i);
  const k = t === "object" || t === "closure" ? `${t} ${name(i).slice(0, 50)}` : `${t}`;
  const s = byName.get(k) ?? { n: 0, self: 0 };
  s.n++;
  s.self += nodes[i * NF + nSize];
  byName.set(k, s);
}
console.log("\nself size by type / constructor (reachable nodes):");
for (const [k, s] of [...byName].sort((a, b) => b[1].self - a[1].self).slice(0, 45))
  console.log(`${kb(s.self).padStart(10)} KB ${String(s.n).padStart(8)}  ${k}`);
