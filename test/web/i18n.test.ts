import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The consoles' translations: both languages carry the same keys, no value is empty, and every key
// the code asks for exists. Keys in the code are literal, so a scan finds them all.

const webSrc = fileURLToPath(new URL('../../web/src/', import.meta.url));
const PLURAL_SUFFIXES = ['_zero', '_one', '_two', '_few', '_many', '_other'];

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

function readResource(language: string): Record<string, Json> {
  return JSON.parse(readFileSync(join(webSrc, 'i18n', `${language}.json`), 'utf8')) as Record<string, Json>;
}

/** Flattens nested resources to dotted keys ("signIn.title"). */
function flatten(value: Json, prefix = '', into = new Map<string, Json>()): Map<string, Json> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) flatten(child, prefix ? `${prefix}.${key}` : key, into);
  } else {
    into.set(prefix, value);
  }
  return into;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** t('key'), t("key"), i18nKey="key" and i18nKey={'key'} in the source. */
function usedKeys(source: string): string[] {
  const patterns = [/\bt\(\s*(['"])([^'"`\n]+?)\1/g, /\bi18nKey=(?:\{\s*)?(['"])([^'"`\n]+?)\1/g];
  const keys: string[] = [];
  for (const pattern of patterns) {
    for (const match of source.matchAll(pattern)) keys.push(match[2]!);
  }
  return keys;
}

const en = flatten(readResource('en'));
const de = flatten(readResource('de'));

function exists(resources: Map<string, Json>, key: string): boolean {
  return resources.has(key) || PLURAL_SUFFIXES.some((suffix) => resources.has(`${key}${suffix}`));
}

describe('web translations', () => {
  it('has the same keys in English and German', () => {
    const onlyEn = [...en.keys()].filter((key) => !de.has(key));
    const onlyDe = [...de.keys()].filter((key) => !en.has(key));
    expect({ onlyEn, onlyDe }).toEqual({ onlyEn: [], onlyDe: [] });
  });

  it('has no empty or non-text values', () => {
    const bad: string[] = [];
    for (const [language, resources] of [
      ['en', en],
      ['de', de],
    ] as const) {
      for (const [key, value] of resources) {
        if (typeof value !== 'string' || value.trim() === '') bad.push(`${language}:${key}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('uses the same interpolation variables in both languages', () => {
    const variables = (text: Json | undefined) =>
      [...String(text).matchAll(/\{\{\s*([\w.]+)[^}]*\}\}/g)].map((match) => match[1]).sort();
    const differing = [...en.keys()].filter(
      (key) => JSON.stringify(variables(en.get(key))) !== JSON.stringify(variables(de.get(key))),
    );
    expect(differing).toEqual([]);
  });

  it('defines every key the web code uses', () => {
    const files = sourceFiles(webSrc);
    expect(files.length).toBeGreaterThan(0);
    const missing: string[] = [];
    let found = 0;
    for (const file of files) {
      for (const key of usedKeys(readFileSync(file, 'utf8'))) {
        found += 1;
        if (!exists(en, key)) missing.push(`${relative(webSrc, file)}: ${key}`);
      }
    }
    expect(found).toBeGreaterThan(50);
    expect(missing).toEqual([]);
  });

  it('finds keys in the forms the scan promises', () => {
    expect(usedKeys(`t('a.b') t("c.d", { x }) <Trans i18nKey="e.f" /> t( 'g' )`)).toEqual([
      'a.b',
      'c.d',
      'g',
      'e.f',
    ]);
  });
});
