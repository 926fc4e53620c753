import { problemKindOf, problemTypeOf } from "../core/problem-types.ts";
import { IMPORT_FORM_OVERHEAD_BYTES } from "../imports/receive-upload.ts";
import { type ClusterHost, ownerOf, type Placement, upstreamName } from "./placement.ts";

export interface NginxOptions {
  /** Where the front listens: HOST:PORT or PORT. */
  listen: string;
  /** The body limit of every route but the two below (CRM_BODY_LIMIT_BYTES). */
  bodyLimitBytes: number;
  /** An import's upload, POST /t/<slug>/imports (CRM_IMPORT_MAX_BYTES). */
  importMaxBytes: number;
  /** An event batch, POST /api/v1/t/<slug>/events. */
  eventsMaxBytes: number;
  /** Every slug each host reported (GET /_cluster/tenants), for the slug → upstream map. */
  tenants: readonly string[];
  /** What the header comment says the config was made from. */
  source: string;
}

/** How long the front waits for a host to accept a connection before it counts as down. */
const CONNECT_TIMEOUT = "1s";
/** A host's upstream keep-alive connections close before Bun's 30 s idle timeout closes them under nginx. */
const UPSTREAM_IDLE = "20s";
/** How long a host may take over a tenant-less read before nginx asks another (see the location). */
const QUICK_READ = "1s";

const UNAVAILABLE = JSON.stringify({
  type: "/api/v1/problems/unavailable",
  title: "Service Unavailable",
  status: 503,
  detail: "The host that serves this workspace is not answering; try again shortly.",
});
/**
 * The front's own 413 (a body past `client_max_body_size`), as the hosts' own 413 says it
 * (PayloadTooLargeError through problemResponse): problem+json on /api/, a small page elsewhere.
 * `$crm_too_large_detail` is filled in by nginx (see the maps); nothing in it comes from the request.
 */
const TOO_LARGE_TYPE = problemTypeOf(413);
const TOO_LARGE_TITLE = problemKindOf(413)?.title ?? "Payload Too Large";
const TOO_LARGE = `{"type":${JSON.stringify(TOO_LARGE_TYPE)},"title":"${TOO_LARGE_TITLE}","status":413,"detail":"$crm_too_large_detail"}`;
const TOO_LARGE_PAGE = `<!doctype html><html lang="en"><meta charset="utf-8"><title>${TOO_LARGE_TITLE}</title><h1>${TOO_LARGE_TITLE}</h1><p>$crm_too_large_detail.</p></html>`;
/**
 * The same to an htmx request (HX-Request: true) off /api/: the flash fragment a host answers
 * (on-error.ts; views/components/flash.ts, which this layer may not import: the test
 * cluster-front-too-large compares the bytes), put in #flash, since htmx swaps what comes back
 * into the request's target, where a page would replace the board or the form.
 */
const TOO_LARGE_FLASH = `<p class="flash error">$crm_too_large_detail</p>`;
/** A host's own 413 that nginx intercepted (it cannot pass that body on): the kind's own words. */
const TOO_LARGE_AT_HOST = problemKindOf(413)?.description.replace(/\.$/, "") ?? TOO_LARGE_TITLE;

/** The routes with a body limit of their own (nginx locations, and the map naming each limit). */
const IMPORTS_PATH = "^/t/[^/]+/imports/?$";
const EVENTS_PATH = "^/api/v1/t/[^/]+/events$";

const TIMEOUT = JSON.stringify({
  type: "/api/v1/problems/timeout",
  title: "Gateway Timeout",
  status: 504,
  detail: "The work took too long and was stopped; a narrower request may finish.",
});

function upstreamBlock(name: string, hosts: readonly ClusterHost[]): string {
  const servers = hosts.map((h) => `    server ${new URL(h.url).host} max_fails=1 fail_timeout=5s;`);
  return `  upstream ${name} {\n${servers.join("\n")}\n    keepalive 16;\n    keepalive_timeout ${UPSTREAM_IDLE};\n  }`;
}

/** A location body that sends the request to the slug's upstream. */
function proxied(bodyLimit: number): string {
  return `      client_max_body_size ${bodyLimit};
      proxy_pass http://$crm_upstream;`;
}

/**
 * The nginx config of the cluster's front (`crm cluster nginx-config`): an upstream per host
 * and one of them all (crm_any), a map from the slug in the URI to its owner's upstream for
 * every tenant the hosts reported, and the 421 re-send for the rest: a host asked for a tenant
 * it does not own answers 421 + CRM-Owner-Upstream, and the named location @crm_owner sends the
 * same request (method and buffered body: error_page to a named location keeps both) to that
 * upstream. Runs as any user: every path it writes is relative to nginx's prefix (-p DIR).
 */
export function nginxConfig(placement: Placement, options: NginxOptions): string {
  const hosts = placement.hosts;
  // The host takes a file of up to CRM_IMPORT_MAX_BYTES in a form that much larger (upload-routes.ts):
  // a front that stopped at the file's limit refused forms whose file the host accepts.
  const importBodyBytes = options.importMaxBytes + IMPORT_FORM_OVERHEAD_BYTES;
  const upstreams = hosts.map((h) => upstreamBlock(upstreamName(h), [h]));
  const mapLines = [...new Set(options.tenants)].sort().flatMap((slug) => {
    const owner = ownerOf(placement, slug);
    return owner && /^[a-z0-9-]+$/.test(slug) ? [`    ${slug} ${upstreamName(owner)};`] : [];
  });
  return `# Written by crm cluster nginx-config from ${options.source} (placement version ${placement.version}).
# Do not edit: write it again after any crm cluster change, check it, reload:
#   nginx -t -p DIR -c FILE && nginx -s reload -p DIR -c FILE
# Every path below is relative to the prefix (-p DIR): nginx runs as an ordinary user.
worker_processes auto;
pid nginx.pid;
error_log error.log warn;

events {
  worker_connections 4096;
}

http {
  access_log off;
  server_tokens off;
  # The app compresses its own answers (zstd, gzip) and streams some: nginx passes bytes through.
  gzip off;
  client_body_temp_path temp/client_body;
  proxy_temp_path temp/proxy;
  fastcgi_temp_path temp/fastcgi;
  uwsgi_temp_path temp/uwsgi;
  scgi_temp_path temp/scgi;
  map_hash_max_size 1048576;
  map_hash_bucket_size 128;

${upstreams.join("\n\n")}

  # Slugs not in the map yet (signed up after this file was written) go to any host: it answers 421.
${upstreamBlock("crm_any", hosts)}

  # Retry-After only on the front's own 503 (no upstream answered), not on a host's 504.
  map $upstream_http_content_type $crm_retry_after {
    "" 2;
    default "";
  }

  map $uri $crm_slug {
    default "";
    "~^/(?:api/v1/)?t/([a-z0-9-]+)(?:/|$)" $1;
  }

  # A body past client_max_body_size: the limit of the location the URI falls in, said as the
  # hosts say it; a host's own 413 (e.g. too many events) has no such number for nginx to give.
  map $uri $crm_body_limit {
    default ${options.bodyLimitBytes};
    "~${IMPORTS_PATH}" ${importBodyBytes};
    "~${EVENTS_PATH}" ${options.eventsMaxBytes};
  }

  map $upstream_status $crm_too_large_detail {
    "" "request body is larger than $crm_body_limit bytes";
    default "${TOO_LARGE_AT_HOST}";
  }

  # As a host answers: the API by its path first, then an htmx request, then a page.
  map "$http_hx_request|$uri" $crm_too_large {
    default @crm_too_large_page;
    "~^[^|]*\\|/api/" @crm_too_large_api;
    "~^true\\|" @crm_too_large_htmx;
  }

  map $crm_slug $crm_upstream {
    default crm_any;
${mapLines.join("\n")}
  }

  server {
    listen ${options.listen};

    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Forwarded-Host $host;
    # The hosts answer a tenant they do not own with 421 for the front, a redirect for anyone else.
    proxy_set_header X-CRM-Front 1;
    proxy_connect_timeout ${CONNECT_TIMEOUT};
    proxy_send_timeout 60s;
    proxy_read_timeout 120s;
    # Only a request no host received is tried on another: a POST or PATCH a host may have acted on, never.
    proxy_next_upstream error timeout;
    proxy_next_upstream_tries 2;
    proxy_next_upstream_timeout 2s;
    # The whole body is read before a host sees it, so a 421 can send it again.
    proxy_request_buffering on;
    proxy_intercept_errors on;
    # Also on here: the 502 of a re-send to a host that is down must still become the 503.
    recursive_error_pages on;
    # nginx's own 413 as the hosts word it; a host's own 413 is intercepted with it (proxy_intercept_errors
    # takes every status listed here) and keeps its status and type, in general words.
    error_page 413 = $crm_too_large;
    error_page 421 = @crm_owner;
    error_page 502 504 = @crm_down;

    # Host-to-host routes are for the hosts only: /_cluster itself too (the hosts route it to the
    # signature check), and ^~ so that no regex location below can ever take one of them.
    location ^~ /_cluster {
      return 404;
    }

    location ~ ${IMPORTS_PATH} {
${proxied(importBodyBytes)}
    }

    location ~ ${EVENTS_PATH} {
${proxied(options.eventsMaxBytes)}
    }

    location / {
${proxied(options.bodyLimitBytes)}
    }

    # Reads no tenant owns, which any host answers at once (files, the landing and "go to" pages,
    # health): a host that takes the connection but does not answer (stopped, wedged) is left for
    # another after ${QUICK_READ}, rather than holding the client for the read timeout (a third of
    # every page's assets would hang). These paths have only GET routes; a POST is never sent twice.
    location ~ ^/(?:assets/|healthz$|readyz$|go$|$) {
      proxy_read_timeout ${QUICK_READ};
      proxy_next_upstream_timeout 4s;
${proxied(options.bodyLimitBytes)}
    }

    # A host said another owns the tenant: the same request (method, body) to the owner's upstream.
    location @crm_owner {
      set $crm_owner $upstream_http_crm_owner_upstream;
      error_page 502 504 = @crm_down;
      proxy_pass http://$crm_owner;
    }

    # A body over the limit, refused before any host saw it: the API's problem+json, or a small page.
    location @crm_too_large_api {
      default_type application/problem+json;
      return 413 '${TOO_LARGE}';
    }

    location @crm_too_large_htmx {
      default_type "text/html; charset=utf-8";
      add_header HX-Retarget "#flash" always;
      add_header HX-Reswap innerHTML always;
      return 413 '${TOO_LARGE_FLASH}';
    }

    location @crm_too_large_page {
      default_type "text/html; charset=utf-8";
      return 413 '${TOO_LARGE_PAGE}';
    }

    # nginx could not reach the host (refused, or no answer within ${CONNECT_TIMEOUT}): 503 at once.
    # A host that did answer 504 (its own timeout problem) keeps its status.
    location @crm_down {
      default_type application/problem+json;
      if ($upstream_http_content_type) {
        return 504 '${TIMEOUT}';
      }
      add_header Retry-After $crm_retry_after always;
      return 503 '${UNAVAILABLE}';
    }
  }
}
`;
}
