import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the endpoint does with one request:
 * `pass` forwards it; `throttle` answers the service's throttling error; 500/503 a server error;
 * `expired` and `bad-credentials` the service's answer to an expired session token and to an access key it does
 * not know; `redirect` (S3) a 301 to the bucket's region, eu-west-1;
 * `reset` drops the connection before answering; `reset-body` forwards the headers and half the body, then drops;
 * `hang` never answers (the client's timeout must end it).
 */
export type Fault =
  | 'pass'
  | 'throttle'
  | 500
  | 503
  | 'expired'
  | 'bad-credentials'
  | 'redirect'
  | 'reset'
  | 'reset-body'
  | 'hang';

/** The region a SigV4 `Authorization` header was signed for (its credential scope), if any. */
export function signedRegion(authorization: string): string | undefined {
  return /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(authorization)?.[1];
}

/** How the service spells its errors on the wire. */
export type Protocol = 's3' | 'query' | 'json';

interface Rule {
  readonly when: (request: SeenRequest) => boolean;
  readonly faults: Fault[];
  readonly always?: Fault;
}

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly body: string;
  readonly target?: string;
  /** The SigV4 `Authorization` header ('' when unsigned). */
  readonly authorization: string;
  fault: Fault;
}

export interface FaultProxy {
  readonly endpoint: string;
  /** Requests matching `when` get `faults` in turn, then `always` (or pass). */
  inject(when: (request: SeenRequest) => boolean, faults: readonly Fault[], always?: Fault): void;
  /** Forget rules and seen requests. */
  reset(): void;
  readonly seen: SeenRequest[];
  stop(): Promise<void>;
}

function errorBody(protocol: Protocol, code: string, message: string): { type: string; body: string } {
  if (protocol === 'json') {
    return { type: 'application/x-amz-json-1.1', body: JSON.stringify({ __type: code, message }) };
  }
  if (protocol === 'query') {
    return {
      type: 'text/xml',
      body: `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
    };
  }
  return {
    type: 'application/xml',
    body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
  };
}

/** Status, code and message, as each kind of service answers the fault. */
const errorAnswers: Record<
  'throttle' | 500 | 503 | 'expired' | 'bad-credentials' | 'redirect',
  Record<Protocol, [number, string, string]>
> = {
  throttle: {
    s3: [503, 'SlowDown', 'Please reduce your request rate.'],
    query: [400, 'Throttling', 'Rate exceeded'],
    json: [400, 'ThrottlingException', 'Rate exceeded'],
  },
  500: {
    s3: [500, 'InternalError', 'We encountered an internal error.'],
    query: [500, 'InternalFailure', 'We encountered an internal error.'],
    json: [500, 'InternalFailure', 'We encountered an internal error.'],
  },
  503: {
    s3: [503, 'ServiceUnavailable', 'Service is unable to handle request.'],
    query: [503, 'ServiceUnavailable', 'Service is unable to handle request.'],
    json: [503, 'ServiceUnavailable', 'Service is unable to handle request.'],
  },
  expired: {
    s3: [400, 'ExpiredToken', 'The provided token has expired.'],
    query: [403, 'ExpiredToken', 'The security token included in the request is expired'],
    json: [400, 'ExpiredTokenException', 'The security token included in the request is expired'],
  },
  'bad-credentials': {
    s3: [403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.'],
    query: [403, 'InvalidClientTokenId', 'The security token included in the request is invalid.'],
    json: [400, 'UnrecognizedClientException', 'The security token included in the request is invalid.'],
  },
  redirect: {
    s3: [
      301,
      'PermanentRedirect',
      'The bucket you are attempting to access must be addressed using the specified endpoint.',
    ],
    query: [301, 'PermanentRedirect', 'Moved.'],
    json: [301, 'PermanentRedirect', 'Moved.'],
  },
};

function answerError(response: ServerResponse, protocol: Protocol, fault: keyof typeof errorAnswers): void {
  const [status, code, message] = errorAnswers[fault][protocol];
  const { type, body } = errorBody(protocol, code, message);
  response.writeHead(status, {
    'content-type': type,
    ...(protocol === 'json' ? { 'x-amzn-errortype': code } : {}),
    ...(fault === 'redirect' ? { 'x-amz-bucket-region': 'eu-west-1' } : {}),
  });
  response.end(body);
}

/**
 * A local endpoint in front of a real one (moto, or an in-test handler) that injects service and network
 * faults into chosen requests, so the real SDK clients meet them on the wire.
 */
export async function startFaultProxy(upstream: string | RequestListener, protocol: Protocol): Promise<FaultProxy> {
  let rules: Rule[] = [];
  const seen: SeenRequest[] = [];
  let local: Server | undefined;
  let upstreamUrl = typeof upstream === 'string' ? upstream : '';
  if (typeof upstream !== 'string') {
    local = createServer(upstream);
    await new Promise<void>((resolve) => local?.listen(0, '127.0.0.1', resolve));
    upstreamUrl = `http://127.0.0.1:${(local.address() as AddressInfo).port}`;
  }
  const forward = (incoming: IncomingMessage, body: Buffer, response: ServerResponse, cutBody: boolean) => {
    const target = new URL(incoming.url ?? '/', upstreamUrl);
    const outgoing = httpRequest(
      target,
      { method: incoming.method, headers: { ...incoming.headers, host: target.host } },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const payload = Buffer.concat(chunks);
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          if (cutBody) {
            response.write(payload.subarray(0, Math.floor(payload.length / 2)));
            // Flush the half body, then cut the connection mid-response.
            setTimeout(() => response.socket?.destroy(), 20);
          } else response.end(payload);
        });
      },
    );
    outgoing.on('error', () => response.socket?.destroy());
    outgoing.end(body);
  };
  const server = createServer(async (incoming, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const target = incoming.headers['x-amz-target'];
    const request: SeenRequest = {
      method: incoming.method ?? 'GET',
      url: incoming.url ?? '/',
      body: body.toString('utf8'),
      ...(typeof target === 'string' ? { target } : {}),
      authorization: incoming.headers.authorization ?? '',
      fault: 'pass',
    };
    const rule = rules.find((r) => r.when(request));
    const fault = rule === undefined ? 'pass' : (rule.faults.shift() ?? rule.always ?? 'pass');
    request.fault = fault;
    seen.push(request);
    switch (fault) {
      case 'pass':
        return forward(incoming, body, response, false);
      case 'reset-body':
        return forward(incoming, body, response, true);
      case 'reset':
        return incoming.socket.destroy();
      case 'hang':
        return;
      default:
        return answerError(response, protocol, fault);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    inject(when, faults, always) {
      rules.push({ when, faults: [...faults], ...(always === undefined ? {} : { always }) });
    },
    reset() {
      rules = [];
      seen.length = 0;
    },
    seen,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      if (local !== undefined) {
        local.closeAllConnections();
        await new Promise((resolve) => local?.close(resolve));
      }
    },
  };
}
