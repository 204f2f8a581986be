import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the endpoint does with one request:
 * `pass` forwards it; `throttle` answers the service's throttling error; 500/503 a server error;
 * `reset` drops the connection before answering; `reset-body` forwards the headers and half the body, then drops;
 * `hang` never answers (the client's timeout must end it).
 */
export type Fault = 'pass' | 'throttle' | 500 | 503 | 'reset' | 'reset-body' | 'hang';

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

function answerError(response: ServerResponse, protocol: Protocol, fault: 'throttle' | 500 | 503): void {
  const [status, code, message] =
    fault === 'throttle'
      ? protocol === 's3'
        ? [503, 'SlowDown', 'Please reduce your request rate.']
        : [400, protocol === 'json' ? 'ThrottlingException' : 'Throttling', 'Rate exceeded']
      : fault === 500
        ? [500, protocol === 's3' ? 'InternalError' : 'InternalFailure', 'We encountered an internal error.']
        : [503, 'ServiceUnavailable', 'Service is unable to handle request.'];
  const { type, body } = errorBody(protocol, code, message);
  response.writeHead(status, { 'content-type': type, ...(protocol === 'json' ? { 'x-amzn-errortype': code } : {}) });
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
