/**
 * Files of the web side of a capability, the only ones in src/ (beside src/http and src/app)
 * that may use hono or views/ at run time, named for what they do: routes (`routes.ts`,
 * `*-routes.ts`), middleware (`*-middleware.ts`), a view's props (`*-props.ts`), a page or a
 * part of one assembled from services and views (`*-page.ts`), an answer to a request
 * (`*-response.ts`). Shared by the layering rules (.dependency-cruiser.cjs) and the folder
 * cycle check (scripts/check-layers.ts).
 */
const WEB_FILE = "(^|/)(routes|[a-z-]+-(routes|middleware|props|page|response))\\.ts$";

/** The web side as a whole: those files, the HTTP kernel, the composition root and the command line. */
const WEB_SIDE = `${WEB_FILE}|^src/(http|app|cli)/|^src/cli\\.ts$`;

module.exports = { WEB_FILE, WEB_SIDE };
