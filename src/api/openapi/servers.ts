// The OpenAPI document, part: `servers`. Paths keep their full `/api/v1/t/{tenant}/…` form, so
// one base URL serves every operation (the document and the problem types are outside any
// workspace); the workspace is the `tenant` path parameter, as in the URLs the app shows.

const FETCHED_FROM = {
  url: "/",
  description: "The host this document was fetched from (a relative URL resolves against the document's own)",
};

/** `servers` of the document as built: the host it is fetched from. */
export const relativeServers = [FETCHED_FROM];

/** `servers` as a deployment serves it: its public URL (CRM_PUBLIC_URL) first when it has one. */
export function serversFor(publicUrl: string | undefined) {
  return publicUrl
    ? [{ url: publicUrl, description: "This deployment (CRM_PUBLIC_URL)" }, FETCHED_FROM]
    : [FETCHED_FROM];
}
