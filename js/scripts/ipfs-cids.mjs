// The reference for ogpu_widgets.results.unixfs: the CIDs (and blocks) that
// ipfs-unixfs-importer (Helia's importer) makes of files with kubo's `ipfs add` defaults.
//
//   node scripts/ipfs-cids.mjs [--car-dir DIR] FILE...
//     one JSON line per file: {"file", "size", "v0", "v1"}
//     v0 = `ipfs add` (CIDv0, UnixFS leaves), v1 = `ipfs add --cid-version=1` (raw leaves);
//     both 256 KiB chunks and a balanced DAG of at most 174 links per node.
//     With --car-dir, DIR/<n>.v0.car and DIR/<n>.v1.car hold every block (n = the file's
//     position on the command line), written by @ipld/car.
//   node scripts/ipfs-cids.mjs --read-car FILE...
//     one JSON line per CAR read by @ipld/car: {"file", "roots", "blocks": [[cid, sha256 hex]]}
import { createHash } from 'node:crypto'
import { open, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

import { CarReader, CarWriter } from '@ipld/car'
import { MemoryBlockstore } from 'blockstore-core'
import { importer } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'

const KUBO = {
  chunker: fixedSize({ chunkSize: 262_144 }),
  layout: balanced({ maxChildrenPerNode: 174 }),
  reduceSingleLeafToSelf: true,
  wrapWithDirectory: false,
}
const PROFILES = {
  v0: { ...KUBO, cidVersion: 0, rawLeaves: false, leafType: 'file' },
  v1: { ...KUBO, cidVersion: 1, rawLeaves: true },
}

async function * chunksOf (path) {
  const handle = await open(path)
  try {
    for await (const chunk of handle.createReadStream({ highWaterMark: 1 << 20 })) yield chunk
  } finally {
    await handle.close()
  }
}

// The importer writes each block once with its CID; a MemoryBlockstore keeps blocks by
// multihash only, so the CIDs (codec and version) are kept beside it.
async function add (path, options) {
  const blockstore = new MemoryBlockstore()
  const cids = new Map()
  const store = {
    put: async (cid, bytes) => {
      cids.set(cid.toString(), cid)
      return blockstore.put(cid, bytes)
    },
  }
  let last
  for await (const entry of importer([{ content: chunksOf(path) }], store, options)) {
    last = entry
  }
  return { cid: last.cid, cids: [...cids.values()], blockstore }
}

async function writeCar (file, root, cids, blockstore) {
  const { writer, out } = CarWriter.create([root])
  const parts = []
  const collect = (async () => { for await (const part of out) parts.push(part) })()
  for (const cid of cids) {
    const pieces = []
    for await (const piece of blockstore.get(cid)) pieces.push(piece)
    await writer.put({ cid, bytes: new Uint8Array(Buffer.concat(pieces)) })
  }
  await writer.close()
  await collect
  await writeFile(file, Buffer.concat(parts))
}

async function main (argv) {
  if (argv[0] === '--read-car') {
    for (const file of argv.slice(1)) {
      const reader = await CarReader.fromBytes(await readFile(file))
      const roots = (await reader.getRoots()).map(String)
      const blocks = []
      for await (const { cid, bytes } of reader.blocks()) {
        blocks.push([cid.toString(), createHash('sha256').update(bytes).digest('hex')])
      }
      console.log(JSON.stringify({ file, roots, blocks }))
    }
    return
  }
  let carDir = null
  if (argv[0] === '--car-dir') {
    carDir = argv[1]
    argv = argv.slice(2)
  }
  if (argv.length === 0) {
    console.error('usage: node scripts/ipfs-cids.mjs [--car-dir DIR] FILE... | --read-car FILE...')
    process.exit(2)
  }
  for (const [n, file] of argv.entries()) {
    const line = { file, size: 0 }
    for (const [name, options] of Object.entries(PROFILES)) {
      const { cid, cids, blockstore } = await add(file, options)
      line[name] = cid.toString()
      if (carDir) await writeCar(join(carDir, `${n}.${name}.car`), cid, cids, blockstore)
    }
    line.size = (await readFile(file)).length
    console.log(JSON.stringify(line))
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err)
  process.exit(1)
})
