"""The read side: analytics in SQL aggregates, small frames and figures; the SLA policy in force; export queries."""
