"""Operations: background jobs, health checks, metrics and data retention."""
