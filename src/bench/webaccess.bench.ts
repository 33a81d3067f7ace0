import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { openApp } from '../app.js';
import { loadConfig } from '../core/config.js';
import { buildHttpServer } from '../http/server.js';
import { WEB_ROOT } from '../http/plugins/web-app.plugin.js';
import { percentile } from './bench-util.js';

export interface WebAccessFigures {
  messages: number;
  mailboxMessages: number;
  /** GET /webaccess/messages, first page of 100: every readable mailbox, newest first. */
  firstPageP50Ms: number;
  firstPageP95Ms: number;
  /** The same for one folder, for a search with a common word, and sorted by subject. */
  folderPageP95Ms: number;
  searchPageP95Ms: number;
  subjectSortP95Ms: number;
  /** A page deep into the result (cursor of page 50). */
  deepPageP95Ms: number;
  /** GET /webaccess/messages/:id: read, decrypt, check, parse, sanitize. */
  openP50Ms: number;
  openP95Ms: number;
  mailboxTreeP95Ms: number;
}

/**
 * Web Access's API as a Reader who owns the generated mailbox sees it (the bench's 100k set),
 * through the real Fastify app with inject (no sockets: the server's own time).
 */
export async function measureWebAccess(
  dataDir: string,
  messages: number,
  rounds = 40,
): Promise<WebAccessFigures> {
  const app = await openApp(
    loadConfig({ env: { POSTVAULT_DATA_DIR: dataDir, POSTVAULT_LOG_LEVEL: 'warn' } }),
    {
      workers: 0,
    },
  );
  const server = await buildHttpServer(app);
  try {
    const tenant = await app.tenants.findBySlug('default');
    const admin = await app.tenantManagement.resetAdmin(
      { tenantId: 0, actor: { kind: 'system', name: 'bench' } },
      tenant.id,
    );
    const session = async (payload: object) => {
      const answer = await server.inject({ method: 'POST', url: '/api/v1/auth/sign-in', payload });
      if (answer.statusCode !== 200) throw new Error(`bench sign-in failed: ${answer.body}`);
      const token = answer.cookies.find((c) => c.name === 'pv_session')!.value;
      return { cookie: `pv_session=${token}`, csrf: (answer.json() as { csrfToken: string }).csrfToken };
    };
    const adminSession = await session(admin);
    const call = async (
      who: { cookie: string; csrf: string },
      method: 'GET' | 'POST' | 'PATCH',
      url: string,
      payload?: object,
    ) => {
      const answer = await server.inject({
        method,
        url,
        headers: { cookie: who.cookie, 'x-csrf-token': who.csrf },
        ...(payload ? { payload } : {}),
      });
      if (answer.statusCode >= 300) throw new Error(`${method} ${url}: ${answer.statusCode} ${answer.body}`);
      return answer.json() as Record<string, never>;
    };
    const name = `reader${Date.now()}`;
    const created = (await call(adminSession, 'POST', '/api/v1/admin/users', { name })) as unknown as {
      user: { id: number; login: string };
      password: string;
    };
    await call(adminSession, 'POST', '/api/v1/admin/groups', {
      name: `Readers ${name}`,
      roles: ['reader'],
      memberIds: [created.user.id],
    });
    const mailboxes = (await call(adminSession, 'GET', '/api/v1/admin/mailboxes')) as unknown as {
      mailboxes: Array<{ id: number; name: string; messageCount?: number }>;
    };
    const generated = mailboxes.mailboxes.find((m) => m.name === 'generated');
    if (!generated) throw new Error('the bench mailbox "generated" is missing');
    await call(adminSession, 'PATCH', `/api/v1/admin/mailboxes/${generated.id}`, {
      ownerIds: [created.user.id],
    });
    const reader = await session({ login: created.user.login, password: created.password });

    const time = async (url: string) => {
      const samples: number[] = [];
      for (let i = 0; i < rounds; i++) {
        const start = performance.now();
        await call(reader, 'GET', url);
        samples.push(performance.now() - start);
      }
      return samples;
    };
    const tree = (await call(reader, 'GET', '/api/v1/webaccess/mailboxes')) as unknown as {
      mine: Array<{ messageCount: number; folders: Array<{ id: number; messageCount: number }> }>;
    };
    const mailbox = tree.mine[0]!;
    const folder = [...mailbox.folders].sort((a, b) => b.messageCount - a.messageCount)[0]!;
    const firstPage = await time('/api/v1/webaccess/messages?limit=100');
    const folderPage = await time(`/api/v1/webaccess/messages?limit=100&folderId=${folder.id}`);
    const searchPage = await time('/api/v1/webaccess/messages?limit=100&q=linux');
    const subjectSort = await time('/api/v1/webaccess/messages?limit=100&sort=subject&order=asc');
    let cursor = '';
    const ids: number[] = [];
    for (let page = 0; page < 50; page++) {
      const answer = (await call(
        reader,
        'GET',
        `/api/v1/webaccess/messages?limit=100${cursor}`,
      )) as unknown as {
        results: Array<{ id: number }>;
        nextCursor: string | null;
      };
      if (page % 5 === 0) ids.push(...answer.results.slice(0, 8).map((r) => r.id));
      if (!answer.nextCursor) break;
      cursor = `&cursor=${answer.nextCursor}`;
    }
    const deepPage = await time(`/api/v1/webaccess/messages?limit=100${cursor}`);
    const open: number[] = [];
    for (const id of ids.slice(0, rounds * 2)) {
      const start = performance.now();
      await call(reader, 'GET', `/api/v1/webaccess/messages/${id}`);
      open.push(performance.now() - start);
    }
    const treeTimes = await time('/api/v1/webaccess/mailboxes');
    return {
      messages,
      mailboxMessages: mailbox.messageCount,
      firstPageP50Ms: percentile(firstPage, 50),
      firstPageP95Ms: percentile(firstPage, 95),
      folderPageP95Ms: percentile(folderPage, 95),
      searchPageP95Ms: percentile(searchPage, 95),
      subjectSortP95Ms: percentile(subjectSort, 95),
      deepPageP95Ms: percentile(deepPage, 95),
      openP50Ms: percentile(open, 50),
      openP95Ms: percentile(open, 95),
      mailboxTreeP95Ms: percentile(treeTimes, 95),
    };
  } finally {
    await server.close();
    await app.close();
  }
}

interface ManifestChunk {
  file: string;
  imports?: string[];
  css?: string[];
  isEntry?: boolean;
}

/**
 * What a browser downloads to show Web Access: the entry chunk, the Web Access chunk and every
 * chunk they import statically, each gzipped (level 9, as a server would pre-compress them), from
 * Vite's manifest of the built consoles. JavaScript (the target) and CSS are counted apart.
 */
export function webAccessBundleBytes(webRoot = WEB_ROOT): {
  jsGzipBytes: number;
  jsRawBytes: number;
  cssGzipBytes: number;
  files: number;
} {
  const manifestFile = join(webRoot, '.vite', 'manifest.json');
  if (!existsSync(manifestFile)) throw new Error(`no Vite manifest at ${manifestFile}; run npm run build`);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Record<string, ManifestChunk>;
  const entry = Object.keys(manifest).find((key) => manifest[key]!.isEntry);
  const webAccess = Object.keys(manifest).find((key) => /webaccess\/webaccess-app\.tsx$/.test(key));
  if (!entry || !webAccess) throw new Error('the manifest names no entry or no Web Access chunk');
  const files = new Set<string>();
  const visit = (key: string) => {
    const chunk = manifest[key]!;
    if (files.has(chunk.file)) return;
    files.add(chunk.file);
    for (const css of chunk.css ?? []) files.add(css);
    for (const imported of chunk.imports ?? []) visit(imported);
  };
  visit(entry);
  visit(webAccess);
  const sizes = { jsGzipBytes: 0, jsRawBytes: 0, cssGzipBytes: 0, files: files.size };
  for (const file of files) {
    const bytes = readFileSync(join(webRoot, file));
    const gzipped = gzipSync(bytes, { level: 9 }).length;
    if (file.endsWith('.css')) sizes.cssGzipBytes += gzipped;
    else {
      sizes.jsGzipBytes += gzipped;
      sizes.jsRawBytes += bytes.length;
    }
  }
  return sizes;
}
