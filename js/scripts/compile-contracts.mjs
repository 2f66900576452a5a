// Compiles contracts/*.sol with solc-js into ogpu_widgets/chain/abi/<Contract>.json.
// `--check` compiles in memory and exits 1 if any committed artifact differs.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import solc from "solc";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const contractsDir = path.join(root, "contracts");
const outDir = path.join(root, "ogpu_widgets", "chain", "abi");
// Contracts whose artifacts the Python package uses (the rest are compiled as dependencies).
const WANTED = ["Nexus", "Controller", "Vault", "Source", "Task", "Response", "ResponseLens", "Terminal"];

const sources = {};
for (const f of fs.readdirSync(contractsDir).sort()) {
  if (f.endsWith(".sol")) sources[f] = { content: fs.readFileSync(path.join(contractsDir, f), "utf8") };
}

const input = {
  language: "Solidity",
  sources,
  settings: {
    // paris: no PUSH0, so the lens also runs on nodes that predate Shanghai.
    evmVersion: "paris",
    optimizer: { enabled: true, runs: 200 },
    viaIR: true,
    metadata: { bytecodeHash: "none" },
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
  },
};

const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === "error");
for (const e of output.errors || []) console.error(e.formattedMessage);
if (errors.length) process.exit(2);

const artifacts = {};
for (const [file, contracts] of Object.entries(output.contracts)) {
  for (const [name, c] of Object.entries(contracts)) {
    if (!WANTED.includes(name)) continue;
    artifacts[name] = {
      contractName: name,
      sourceName: `contracts/${file}`,
      compiler: `solc-js ${solc.version()}`,
      abi: c.abi,
      bytecode: "0x" + c.evm.bytecode.object,
    };
  }
}

const check = process.argv.includes("--check");
let differ = 0;
fs.mkdirSync(outDir, { recursive: true });
for (const [name, art] of Object.entries(artifacts).sort()) {
  const text = JSON.stringify(art, null, 1) + "\n";
  const file = path.join(outDir, `${name}.json`);
  if (check) {
    const old = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : null;
    if (old !== text) {
      console.error(`artifact differs from its source: ogpu_widgets/chain/abi/${name}.json`);
      differ++;
    }
  } else {
    fs.writeFileSync(file, text);
    console.log(`wrote ogpu_widgets/chain/abi/${name}.json (${(art.bytecode.length - 2) / 2} bytes of creation code)`);
  }
}
if (check) {
  if (differ) {
    console.error("run `npm run compile-contracts` in js/ and commit ogpu_widgets/chain/abi/");
    process.exit(1);
  }
  console.log(`${Object.keys(artifacts).length} artifacts match their sources`);
}
