/** One answer as a browser would see it (redirects not followed). */
export interface BrowserAnswer {
  readonly url: string;
  readonly status: number;
  readonly location: string | undefined;
  readonly setCookies: readonly string[];
  readonly text: string;
}

/**
 * A minimal cookie-keeping client for driving sign-in flows over real HTTP: cookies per origin
 * (name=value; Max-Age=0 deletes), redirects followed on request. Enough for Verity and a local
 * identity provider; not a general browser.
 */
export interface HttpBrowser {
  request(url: string, init?: { method?: "GET" | "POST"; form?: Record<string, string>; headers?: Record<string, string> }): Promise<BrowserAnswer>;
  /** Follows redirects from `url` until `stop` matches the next URL (not requested) or a page answers. */
  follow(url: string, stop?: (next: URL) => boolean): Promise<{ answer: BrowserAnswer; stoppedAt?: string }>;
  cookie(origin: string, name: string): string | undefined;
  setCookie(origin: string, name: string, value: string): void;
}

export function createHttpBrowser(): HttpBrowser {
  const jars = new Map<string, Map<string, string>>();
  const jar = (origin: string) => jars.get(origin) ?? jars.set(origin, new Map()).get(origin)!;

  const browser: HttpBrowser = {
    async request(url, init = {}) {
      const { origin } = new URL(url);
      const cookies = [...jar(origin)].map(([k, v]) => `${k}=${v}`).join("; ");
      const response = await fetch(url, {
        method: init.method ?? "GET",
        redirect: "manual",
        headers: {
          ...(cookies === "" ? {} : { cookie: cookies }),
          ...(init.form === undefined ? {} : { "content-type": "application/x-www-form-urlencoded" }),
          ...init.headers,
        },
        ...(init.form === undefined ? {} : { body: new URLSearchParams(init.form).toString() }),
      });
      const setCookies = response.headers.getSetCookie();
      for (const line of setCookies) {
        const [pair = "", ...attributes] = line.split(";").map((s) => s.trim());
        const eq = pair.indexOf("=");
        const name = pair.slice(0, eq);
        if (attributes.some((a) => /^max-age=0$/i.test(a) || /^expires=thu, 01 jan 1970/i.test(a))) jar(origin).delete(name);
        else jar(origin).set(name, pair.slice(eq + 1));
      }
      const location = response.headers.get("location") ?? undefined;
      return { url, status: response.status, location: location === undefined ? undefined : new URL(location, url).href, setCookies, text: await response.text() };
    },

    async follow(url, stop) {
      let next = url;
      for (let hops = 0; hops < 20; hops += 1) {
        const answer = await browser.request(next);
        if (answer.location === undefined || answer.status < 300 || answer.status >= 400) return { answer };
        if (stop?.(new URL(answer.location)) === true) return { answer, stoppedAt: answer.location };
        next = answer.location;
      }
      throw new Error(`too many redirects from ${url}`);
    },

    cookie: (origin, name) => jar(origin).get(name),
    setCookie(origin, name, value) {
      jar(origin).set(name, value);
    },
  };
  return browser;
}
