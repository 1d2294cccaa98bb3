/** The person's display name: chosen for them on first load (no prompt), changeable, kept locally. */
const STORAGE_KEY = "switchboard.displayName";
const ADJECTIVES = [
  "Amber",
  "Brisk",
  "Calm",
  "Clever",
  "Dapper",
  "Eager",
  "Gentle",
  "Jolly",
  "Lucky",
  "Quiet",
  "Sunny",
  "Swift",
];
const ANIMALS = [
  "Badger",
  "Falcon",
  "Heron",
  "Koala",
  "Lynx",
  "Otter",
  "Panda",
  "Puffin",
  "Robin",
  "Seal",
  "Tiger",
  "Wren",
];

export const MAX_NAME_LENGTH = 40;

export function loadDisplayName(): string {
  const stored = read();
  if (stored) return stored;
  const name = `${pick(ADJECTIVES)} ${pick(ANIMALS)}`;
  saveDisplayName(name);
  return name;
}

export function saveDisplayName(name: string): void {
  try {
    localStorage.setItem(STORAGE_KEY, name);
  } catch {
    // Storage can be off (privacy settings): the name then lasts for this page only.
  }
}

export function cleanDisplayName(raw: string): string {
  return raw.replace(/\s+/g, " ").trim().slice(0, MAX_NAME_LENGTH);
}

function read(): string | undefined {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return value ? cleanDisplayName(value) || undefined : undefined;
  } catch {
    return undefined;
  }
}

function pick(list: readonly string[]): string {
  return list[Math.floor(Math.random() * list.length)] ?? "Guest";
}
