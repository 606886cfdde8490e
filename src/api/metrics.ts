/** The API's Prometheus metrics (on the registry the app passes, or a fresh one). Safe to create twice on one registry. */
import { Counter, Histogram, type Registry } from 'prom-client';

export interface ApiMetrics {
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'method' | 'route'>;
  accepted: Counter;
}

function existing<T>(registry: Registry, name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined;
}

export function createApiMetrics(registry: Registry): ApiMetrics {
  const requests =
    existing<Counter<'method' | 'route' | 'status'>>(registry, 'nic_attach_http_requests_total') ??
    new Counter({ name: 'nic_attach_http_requests_total', help: 'HTTP requests answered, by method, route and status.', labelNames: ['method', 'route', 'status'], registers: [registry] });
  const duration =
    existing<Histogram<'method' | 'route'>>(registry, 'nic_attach_http_request_duration_seconds') ??
    new Histogram({
      name: 'nic_attach_http_request_duration_seconds',
      help: 'HTTP request duration, by method and route.',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
  const accepted =
    existing<Counter>(registry, 'nic_attach_attachments_accepted_total') ??
    new Counter({ name: 'nic_attach_attachments_accepted_total', help: 'Attachments accepted and enqueued through the API (batch items included).', registers: [registry] });
  return { requests, duration, accepted };
}
