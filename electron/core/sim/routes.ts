// The simulator's API routes: method, exact Okta path, endpoint name, and the handler. Path parameters
// are percent-decoded; a user's login may arrive encoded.
import type { ExpectedEncryption } from '../wire/okta-side.js';
import { activate } from './activate.js';
import type { CallInfo, SimContext } from './context.js';
import type { Endpoint } from './endpoints.js';
import { enroll } from './enroll.js';
import { notFound } from './errors.js';
import { deleteEnrollment, initiateFulfillment, listEnrollments, markError, sendPin } from './factors.js';
import { emptyReply, jsonReply } from './reply.js';
import type { SimReply } from './reply.js';
import { toOktaUser } from './users.js';

export interface RouteSettings {
  readonly requestEncryption: ExpectedEncryption;
  readonly trustedRoots: string[] | undefined;
}

export interface ApiRoute {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly pattern: RegExp;
  readonly endpoint: Exclude<Endpoint, 'token'>;
  /** Whether the route reads a JSON body (malformed → 400 E0000003). */
  readonly jsonBody: boolean;
  readonly handle: (ctx: SimContext, params: readonly string[], body: unknown, call: CallInfo, settings: RouteSettings) => Promise<SimReply>;
}

const PREREG = '/webauthn-registration/api/v1';
const SEGMENT = '([^/]+)';

export const API_ROUTES: readonly ApiRoute[] = [
  {
    method: 'POST', pattern: new RegExp(`^${PREREG}/enroll$`), endpoint: 'enroll', jsonBody: true,
    handle: async (ctx, _p, body, _c, s) => jsonReply(200, await enroll(ctx, body, s.requestEncryption)),
  },
  {
    method: 'POST', pattern: new RegExp(`^${PREREG}/activate$`), endpoint: 'activate', jsonBody: true,
    handle: async (ctx, _p, body, _c, s) => jsonReply(200, await activate(ctx, body, s.trustedRoots)),
  },
  {
    method: 'POST', pattern: new RegExp(`^${PREREG}/send-pin$`), endpoint: 'send-pin', jsonBody: true,
    handle: async (ctx, _p, body) => {
      await sendPin(ctx, body);
      return emptyReply();
    },
  },
  {
    method: 'POST', pattern: new RegExp(`^${PREREG}/initiate-fulfillment-request$`), endpoint: 'initiate-fulfillment-request', jsonBody: true,
    handle: async (ctx, _p, body, call) => {
      initiateFulfillment(ctx, body, call);
      return emptyReply();
    },
  },
  {
    method: 'GET', pattern: new RegExp(`^${PREREG}/users/${SEGMENT}/enrollments$`), endpoint: 'list-enrollments', jsonBody: false,
    handle: async (ctx, [userId = '']) => jsonReply(200, listEnrollments(ctx, userId)),
  },
  {
    method: 'DELETE', pattern: new RegExp(`^${PREREG}/users/${SEGMENT}/enrollments/${SEGMENT}$`), endpoint: 'delete-enrollment', jsonBody: false,
    handle: async (ctx, [userId = '', id = '']) => {
      deleteEnrollment(ctx, userId, id);
      return emptyReply();
    },
  },
  {
    method: 'POST', pattern: new RegExp(`^${PREREG}/users/${SEGMENT}/enrollments/${SEGMENT}/mark-error$`), endpoint: 'mark-error', jsonBody: false,
    handle: async (ctx, [userId = '', id = '']) => {
      markError(ctx, userId, id);
      return emptyReply();
    },
  },
  {
    method: 'GET', pattern: new RegExp(`^/api/v1/users/${SEGMENT}$`), endpoint: 'get-user', jsonBody: false,
    handle: async (ctx, [idOrLogin = '']) => {
      const user = ctx.state.findUser(idOrLogin);
      if (user === undefined) throw notFound(idOrLogin, 'User');
      return jsonReply(200, toOktaUser(user, ctx.baseUrl));
    },
  },
  {
    method: 'GET', pattern: /^\/api\/v1\/logs$/, endpoint: 'logs', jsonBody: false,
    handle: async (ctx, _p, _b, call) => {
      const page = ctx.log.query(call.query, ctx.now());
      const links = [`<${ctx.baseUrl}/api/v1/logs?${call.query.toString()}>; rel="self"`];
      if (page.next !== undefined) links.push(`<${ctx.baseUrl}/api/v1/logs?${page.next.toString()}>; rel="next"`);
      return jsonReply(200, page.events, { Link: links.join(', ') });
    },
  },
];

/** The first route whose path matches, and its decoded parameters; `methodMatches` false means 405. */
export function matchRoute(
  routes: readonly { readonly method: string; readonly pattern: RegExp }[],
  method: string,
  pathname: string,
): { index: number; params: string[]; methodMatches: boolean } | undefined {
  let pathOnly: { index: number; params: string[]; methodMatches: boolean } | undefined;
  for (const [index, route] of routes.entries()) {
    const m = route.pattern.exec(pathname);
    if (m === null) continue;
    const params = m.slice(1).map((p) => safeDecode(p ?? ''));
    if (route.method === method) return { index, params, methodMatches: true };
    pathOnly ??= { index, params, methodMatches: false };
  }
  return pathOnly;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
