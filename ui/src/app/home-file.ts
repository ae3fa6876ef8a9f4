// Home files in the browser: the live home saved as YAML or JSON, and a saved file read back
// (YAML or JSON) and checked against the generated kinds before it goes to the controller.
import { dump, load } from 'js-yaml';

import deviceKinds from './generated/device-kinds.json';

const KINDS = deviceKinds as Record<string, any>;
const ID = /^[a-z][a-z0-9_]{0,39}$/;

export type HomeFormat = 'yaml' | 'json';

/** The home as a home file's text. */
export function homeToText(home: Record<string, unknown>, format: HomeFormat): string {
  if (format === 'json') return JSON.stringify(home, null, 2) + '\n';
  return '# A homesim home file, saved from the UI\n' + dump(home, { noRefs: true, lineWidth: 100, sortKeys: false });
}

export interface ParsedHome {
  home: Record<string, any> | null;
  /** Problems, each naming the file and the field. */
  errors: string[];
}

/** Read a home file (.yaml, .yml or .json) and check its devices: each problem names the field. */
export function parseHomeFile(fileName: string, text: string): ParsedHome {
  let data: unknown;
  try {
    data = fileName.toLowerCase().endsWith('.json') ? JSON.parse(text) : load(text);
  } catch (e) {
    const what = fileName.toLowerCase().endsWith('.json') ? 'JSON' : 'YAML';
    return { home: null, errors: [`${fileName}: not valid ${what}: ${(e as Error).message.split('\n')[0]}`] };
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    return { home: null, errors: [`${fileName}: a home file is a mapping with a devices list`] };
  }
  const home = data as Record<string, any>;
  if (!Array.isArray(home['devices'])) {
    return { home: null, errors: [`${fileName}: devices: missing or not a list`] };
  }
  const errors: string[] = [];
  const seen = new Set<string>();
  home['devices'].forEach((device: any, i: number) => {
    const where = `${fileName}: devices[${i}]`;
    if (!device || typeof device !== 'object' || Array.isArray(device)) {
      errors.push(`${where}: a device is a mapping with an id and a kind`);
      return;
    }
    const name = typeof device.id === 'string' ? `${where} (${device.id})` : where;
    if (typeof device.id !== 'string' || !ID.test(device.id)) {
      errors.push(`${where}.id: ${JSON.stringify(device.id ?? null)} is not an id (lower-case letters, digits and _)`);
    } else if (seen.has(device.id)) {
      errors.push(`${name}.id: used twice`);
    } else {
      seen.add(device.id);
    }
    const schema = KINDS[device.kind];
    if (!schema) {
      errors.push(`${name}.kind: ${JSON.stringify(device.kind ?? null)} is not a device kind (${Object.keys(KINDS).join(', ')})`);
      return;
    }
    for (const key of Object.keys(device)) {
      if (!['id', 'kind', 'enabled'].includes(key) && !(key in (schema.properties ?? {}))) {
        errors.push(`${name}.${key}: not a property of ${device.kind}`);
      }
    }
  });
  return { home: errors.length ? null : home, errors };
}

/** What loading a home does: devices to add (missing from the live home) and properties to set. */
export function planLoad(home: Record<string, any>, present: Set<string>) {
  const add: Record<string, unknown>[] = [];
  const set: { id: string; changes: Record<string, unknown> }[] = [];
  for (const device of home['devices'] as Record<string, any>[]) {
    if (!present.has(device['id'])) {
      add.push(device);
      continue;
    }
    const changes = Object.fromEntries(Object.entries(device).filter(([k]) => !['id', 'kind', 'enabled'].includes(k)));
    if (Object.keys(changes).length) set.push({ id: device['id'], changes });
  }
  return { add, set };
}
