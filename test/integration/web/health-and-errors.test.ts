import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../utils/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  await t.container.demo.seedIfEmpty();
});
afterAll(async () => t?.close());

describe('health endpoint', () => {
  it('reports the database as up, with its engine', async () => {
    const res = await request(t.app).get('/healthz').expect(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.database.state).toBe('up');
    expect(['ferretdb', 'mongodb']).toContain(res.body.database.engine);
    expect(res.headers['cache-control']).toBe('no-store');
  });
});

describe('home page', () => {
  it('lists the demo bureaus in Chinese by default, with lang set on the page', async () => {
    const res = await request(t.app).get('/').expect(200);
    expect(res.text).toContain('<html lang="zh-CN">');
    expect(res.text).toContain('湖州市公安局');
    expect(res.text).toContain('href="/b/huzhou-police"');
  });

  it('follows Accept-Language, and ?lang= overrides it and is remembered', async () => {
    const english = await request(t.app).get('/').set('Accept-Language', 'en-US,en;q=0.9').expect(200);
    expect(english.text).toContain('<html lang="en">');
    expect(english.text).toContain('Huzhou Municipal Public Security Bureau');
    const switched = await request(t.app).get('/?lang=zh-CN').set('Accept-Language', 'en').expect(200);
    expect(switched.text).toContain('<html lang="zh-CN">');
    const cookie = switched.headers['set-cookie'] as unknown as string[];
    expect(cookie.join(';')).toMatch(/minyi_lang=zh-CN.*HttpOnly/);
  });

  it('sends strict security headers', async () => {
    const res = await request(t.app).get('/').expect(200);
    const csp = res.headers['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("base-uri 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('error pages', () => {
  it('gives a 404 page in the page language, and JSON to API clients', async () => {
    const page = await request(t.app).get('/no/such/page?lang=en').expect(404);
    expect(page.text).toContain('Page not found');
    expect(page.text).toContain(page.headers['x-request-id']);
    const json = await request(t.app).get('/no/such/page').set('Accept', 'application/json').expect(404);
    expect(json.body.error).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('never shows the message or stack of an unexpected error', async () => {
    const original = t.container.bureaus.listWithOpenSurveys;
    t.container.bureaus.listWithOpenSurveys = async () => {
      throw new Error('secret internals: mongodb://admin:pw@db');
    };
    try {
      const page = await request(t.app).get('/?lang=en').expect(500);
      expect(page.text).toContain('Something went wrong on our side');
      expect(page.text).not.toContain('secret internals');
      expect(page.text).not.toMatch(/\bat .*\.ts:\d+/);
      const json = await request(t.app).get('/').set('Accept', 'application/json').expect(500);
      expect(json.body.error.message).toBe('Internal error');
      expect(JSON.stringify(json.body)).not.toContain('secret');
    } finally {
      t.container.bureaus.listWithOpenSurveys = original;
    }
  });

  it('answers malformed percent-encoding with 400, not 500', async () => {
    const res = await request(t.app).get('/b/%E0%A4%A').expect((r) => expect(r.status).toBeLessThan(500));
    expect(res.text).not.toMatch(/URIError|at .*\.js/);
  });

  it('echoes a safe X-Request-Id from a proxy and replaces an unsafe one', async () => {
    const kept = await request(t.app).get('/').set('X-Request-Id', 'proxy-123');
    expect(kept.headers['x-request-id']).toBe('proxy-123');
    const replaced = await request(t.app).get('/').set('X-Request-Id', '<script>');
    expect(replaced.headers['x-request-id']).not.toBe('<script>');
  });
});
