/**
 * Connection metrics: connections refused or closed by the server's caps and timeouts, requests cut off while
 * the client was still sending them, and the bytes unfinished request bodies hold. Every label value comes from a
 * fixed set (the listener and the reasons below), never from the client.
 */
import { Counter, Gauge } from 'prom-client';
import { metricGroup, type MetricGroup } from './metric-group.js';

/** Which port: the inference HTTP port or the Prometheus port. */
export type Listener = 'http' | 'metrics';

/**
 * Why a connection ended at the server's initiative: connection_cap (refused: the port was full), evicted (idle,
 * closed to make room for a new one), idle_timeout (nothing arrived while the server waited for the client).
 */
export type ConnectionCloseReason = 'connection_cap' | 'evicted' | 'idle_timeout';

/**
 * Why a request was refused before its body was read in full: headers_timeout and request_timeout (408),
 * body_idle_timeout (408: the body stopped arriving), body_budget (503: the buffered-body budget is spent),
 * header_overflow (431), bad_request (400: not HTTP).
 */
export type RequestRefusalReason =
  'headers_timeout' | 'request_timeout' | 'body_idle_timeout' | 'body_budget' | 'header_overflow' | 'bad_request';

export interface ConnectionMetrics extends MetricGroup {
  readonly connectionsClosed: Counter<'listener' | 'reason'>;
  readonly requestsRefused: Counter<'listener' | 'reason'>;
  readonly openConnections: Gauge<'listener'>;
  readonly bufferedBodyBytes: Gauge;
}

/** Declares the connection metrics on a registry of their own. */
export function createConnectionMetrics(): ConnectionMetrics {
  return metricGroup((registers) => ({
    connectionsClosed: new Counter({
      name: 'inferd_connections_closed_total',
      help: 'Connections the server refused or closed, by listener (http, metrics) and reason: connection_cap (refused, the port was full), evicted (idle, closed to make room), idle_timeout.',
      labelNames: ['listener', 'reason'],
      registers,
    }),
    requestsRefused: new Counter({
      name: 'inferd_requests_cut_off_total',
      help: 'Requests refused before they were fully received, by listener and reason: headers_timeout, request_timeout, body_idle_timeout (408), body_budget (503), header_overflow (431), bad_request (400).',
      labelNames: ['listener', 'reason'],
      registers,
    }),
    openConnections: new Gauge({
      name: 'inferd_open_connections',
      help: 'Open connections, by listener (http, metrics).',
      labelNames: ['listener'],
      registers,
    }),
    bufferedBodyBytes: new Gauge({
      name: 'inferd_buffered_body_bytes',
      help: 'Bytes held for request bodies not yet fully received (declared length, or bytes received when chunked), server-wide.',
      registers,
    }),
  }));
}
