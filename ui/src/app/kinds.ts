// The device kinds as people see them, from the generated kinds file (the pydantic models'
// LABEL, ICON, PALETTE_ORDER and USUAL_CIRCUIT): nothing here is typed by hand.
import deviceKinds from './generated/device-kinds.json';

export type Circuit = 'essential' | 'non_essential';

export interface KindInfo {
  kind: string;
  role: string;
  label: string;
  icon: string;
  description: string;
  /** Place in the palette; null: not offered (added by the home itself, e.g. the sun). */
  order: number | null;
  /** A load's usual circuit (where the palette adds it); null for other roles. */
  circuit: Circuit | null;
  /** It can be removed or switched off while the home runs (the inverter can't). */
  removable: boolean;
}

const RAW = deviceKinds as unknown as Record<string, any>;

export const KINDS: Record<string, KindInfo> = Object.fromEntries(
  Object.entries(RAW).map(([kind, k]) => [kind, {
    kind, role: k['role'], label: k['label'] ?? kind, icon: k['icon'] ?? '', description: k['description'] ?? '',
    order: k['order'] ?? null, circuit: k['circuit'] ?? null, removable: k['removable'] !== false,
  } as KindInfo]),
);

/** The kinds offered in the palette, in their order. */
export const PALETTE: KindInfo[] = Object.values(KINDS)
  .filter((k) => k.order !== null)
  .sort((a, b) => (a.order as number) - (b.order as number));

/** Where a device lives in the house drawing. */
export type Zone = 'roof' | 'plant' | 'grid' | Circuit;

export function zoneOfRole(role: string, circuit: string | null | undefined): Zone | null {
  if (role === 'source') return 'roof';
  if (role === 'storage' || role === 'inverter') return 'plant';
  if (role === 'grid') return 'grid';
  if (role === 'load') return circuit === 'non_essential' ? 'non_essential' : 'essential';
  return null;
}

/** The device the controller should add for a kind dropped into a zone (a load dropped into a
 * circuit goes on that circuit; elsewhere, or added with the keyboard, on its usual one). */
export function newDevice(kind: string, zone?: Zone | null): Record<string, unknown> {
  const info = KINDS[kind];
  if (!info || info.role !== 'load') return { kind };
  const circuit = zone === 'essential' || zone === 'non_essential' ? zone : info.circuit ?? 'essential';
  return { kind, circuit };
}

/** The role of a device in a home file (from its kind). */
export function roleOf(device: { kind?: string } | null | undefined): string | null {
  return (device?.kind && KINDS[device.kind]?.role) || null;
}

/** The first device of a role in a home file's devices (e.g. its battery: ``storage``). */
export function deviceOfRole<T extends { kind?: string }>(devices: T[], role: string): T | undefined {
  return devices.find((d) => roleOf(d) === role);
}

/** Whether a device can be removed or switched off while the home runs (its kind says). */
export function isRemovable(kind: string): boolean {
  return KINDS[kind]?.removable ?? true;
}
