/** Signing in to the staff pages from a script, as a browser does. */
import { SESSION_COOKIE } from '../../server/web/staff/staff-session.js';

function sessionCookie(response: Response): string | undefined {
  const line = response.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  return line?.split(';')[0];
}

/** Signs in as a browser does: the sign-in page for its form cookie and CSRF token, then the form post. */
export async function signIn(url: string, email: string, password: string): Promise<string> {
  const page = await fetch(`${url}/staff/login`, { redirect: 'manual', headers: { accept: 'text/html' } });
  const html = await page.text();
  // The sign-in form keeps no session: its CSRF token is checked against a cookie of its own.
  const formCookies = page.headers.getSetCookie().map((line) => line.split(';')[0]!).join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1]?.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
  if (page.status !== 200 || !csrf) throw new Error(`GET /staff/login: status ${page.status}, CSRF field ${csrf ? 'found' : 'missing'}`);
  const post = await fetch(`${url}/staff/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: formCookies, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, email, password }).toString(),
  });
  const body = await post.text();
  const session = sessionCookie(post);
  if (post.status !== 303 || !session) throw new Error(`POST /staff/login answered ${post.status}${session ? '' : ' without a session cookie'}: ${body.replace(/\s+/g, ' ').slice(0, 500)}`);
  return session;
}
