import { LoadtestError } from "./loadtest-error.ts";

/** A signed-in user as a client replays it: the session cookie and the CSRF token its forms send. */
export interface SignedInUser {
  email: string;
  /** `crm_session=…`, for the Cookie header. */
  cookie: string;
  /** The token of a page's forms (masked, as pages carry it; valid for the whole session). */
  csrf: string;
  /** Whether the user may change records (member and up): read-only users only read. */
  canWrite: boolean;
}

async function reach(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, redirect: "manual" });
  } catch (error) {
    throw new LoadtestError(`cannot reach ${url}: ${(error as Error).message}`);
  }
}

const CSRF_FIELD = /name="_csrf" value="([^"]+)"/;

/**
 * Signs in like a browser: the login page's pre-session cookie and form token, then the form.
 * Throws LoadtestError when the workspace does not exist or the credentials are refused.
 */
export async function signIn(
  origin: string,
  slug: string,
  email: string,
  password: string,
): Promise<SignedInUser> {
  const loginUrl = `${origin}/t/${slug}/login`;
  const login = await reach(loginUrl);
  const loginPage = await login.text();
  if (login.status === 404) throw new LoadtestError(`no workspace "${slug}" at ${origin}`);
  const token = CSRF_FIELD.exec(loginPage)?.[1];
  if (login.status !== 200 || !token)
    throw new LoadtestError(`${loginUrl} answered ${login.status}, not a sign-in page`);
  const preSession = (login.headers.getSetCookie()[0] ?? "").split(";")[0] as string;
  const signedIn = await reach(loginUrl, {
    method: "POST",
    headers: { cookie: preSession, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: token, email, password }),
  });
  await signedIn.arrayBuffer();
  const cookie = signedIn.headers
    .getSetCookie()
    .find((c) => c.startsWith("crm_session="))
    ?.split(";")[0];
  if (!cookie)
    throw new LoadtestError(
      `sign-in as ${email} to "${slug}" was refused (${signedIn.status}): check --users`,
    );
  // Any page carries the session's token and says who is signed in, with their role.
  const page = await (await reach(`${origin}/t/${slug}/tasks`, { headers: { cookie } })).text();
  const csrf = CSRF_FIELD.exec(page)?.[1];
  if (!csrf) throw new LoadtestError(`signed in as ${email}, but the tasks page carries no form token`);
  const role = /<span class="who">[^<]*· ([a-z-]+)<\/span>/.exec(page)?.[1];
  return { email, cookie, csrf, canWrite: role !== undefined && role !== "read-only" };
}

/** Ends the session (the top bar's Sign out), so that a run leaves no live session behind. */
export async function signOut(origin: string, slug: string, user: SignedInUser): Promise<void> {
  const answer = await reach(`${origin}/t/${slug}/logout`, {
    method: "POST",
    headers: { cookie: user.cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: user.csrf }),
  });
  await answer.arrayBuffer();
}
