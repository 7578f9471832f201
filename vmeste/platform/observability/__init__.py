"""What operators watch: Prometheus metrics, structured logs carrying a request id from
the API through the outbox into the worker's job, and OpenTelemetry tracing (off unless
the standard ``OTEL_*`` variables switch it on). See docs/observability.md."""
