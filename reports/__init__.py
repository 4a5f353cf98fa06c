"""Analytics and exports: SQL aggregates, small frames, figures; CSV and S3 exports."""
