// Checks Kubernetes manifests against the upstream API schema as the npm package
// kubernetes-models ships it (generated from Kubernetes' OpenAPI document; version pinned by
// package-lock.json), without a cluster:
// - each object's apiVersion and kind must be an upstream type;
// - the package's validator (Ajv, compiled from the OpenAPI schema) must accept it: field types,
//   integer formats, enums, required fields;
// - every field must be one the upstream type declares (as `kubectl apply --validate=strict`
//   would insist; the OpenAPI schema itself allows unknown fields), looked up in the package's
//   type declarations, which list each type's fields and the type of each.
// Usage: node check_schema.mjs DIR...   Prints each error, then "N objects checked, M errors".
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import YAML from "yaml";

const here = path.dirname(fileURLToPath(import.meta.url));
const models = path.join(here, "node_modules", "kubernetes-models");
const require = createRequire(import.meta.url);

// The fields of the interface a .d.ts file declares: name -> the interface (file) of its value
// or of its list items, or null for a scalar, a map or a type alias.
const declared = new Map();
function fieldsOf(file) {
  if (declared.has(file)) return declared.get(file);
  if (!fs.existsSync(file)) throw new Error(`no type declarations at ${file}`);
  const text = fs.readFileSync(file, "utf8");
  const imports = new Map();
  for (const m of text.matchAll(/^import \{ (\w+) \} from "([^"]+)";$/gm)) imports.set(m[1], m[2]);
  const body = text.match(/^export interface \w+(?: extends \w+)? \{\n([\s\S]*?)^\}/m);
  let fields = null;  // Not an object type (e.g. IntOrString = string | number).
  if (body) {
    fields = new Map();
    for (const m of body[1].matchAll(/^ {4}"([^"]+)"\??: (?:Array<)?(\w+)?/gm)) {
      const target = imports.get(m[2]);
      fields.set(m[1], target ? resolveImport(file, target) : null);
    }
  }
  declared.set(file, fields);
  return fields;
}

function resolveImport(from, spec) {
  if (spec.startsWith(".")) return path.resolve(path.dirname(from), spec.replace(/\.js$/, ".d.ts"));
  return path.join(here, "node_modules", `${spec}.d.ts`);  // A package's own file (hoisted).
}

// Every field of `value` must be declared by the type in `file`, recursively.
function unknownFields(value, file, where, errors) {
  const fields = fieldsOf(file);
  if (!fields || value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => unknownFields(item, file, `${where}/${i}`, errors));
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    if (!fields.has(key)) {
      errors.push(`${where}: unknown field "${key}"`);
    } else if (fields.get(key)) {
      unknownFields(v, fields.get(key), `${where}/${key}`, errors);
    }
  }
}

async function checkObject(doc, where, errors) {
  const [group, version] = String(doc.apiVersion).includes("/")
    ? doc.apiVersion.split("/")
    : [null, doc.apiVersion];
  const folder = group ? path.join(group, version) : String(version);
  const file = path.join(models, folder, `${doc.kind}.d.ts`);
  if (!/^\w+$/.test(String(doc.kind)) || !fs.existsSync(file)) {
    errors.push(`${where}: no upstream type ${doc.apiVersion} ${doc.kind}`);
    return;
  }
  const mod = await import(`kubernetes-models/${folder}/${doc.kind}`);
  try {
    new mod[doc.kind](doc).validate();
  } catch (e) {
    for (const err of e.errors ?? [{ instancePath: "", message: e.message }]) {
      errors.push(`${where}: ${err.instancePath || "/"} ${err.message}` +
                  (err.params?.allowedValues ? ` ${JSON.stringify(err.params.allowedValues)}` : ""));
    }
  }
  unknownFields(doc, file, where, errors);
}

const errors = [];
let objects = 0;
for (const dir of process.argv.slice(2)) {
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort()) {
    // YAML 1.1, as kubectl reads it (0440 is octal).
    const docs = YAML.parseAllDocuments(fs.readFileSync(path.join(dir, name), "utf8"),
                                        { version: "1.1" });
    for (const d of docs) {
      const doc = d.toJS();
      if (!doc) continue;
      ++objects;
      await checkObject(doc, `${name}:${doc.kind}/${doc.metadata?.name}`, errors);
    }
  }
}
for (const e of errors) console.error(e);
console.log(`kubernetes schema (kubernetes-models ${require("kubernetes-models/package.json").version}):` +
            ` ${objects} objects checked, ${errors.length} errors`);
process.exit(errors.length ? 1 : 0);
