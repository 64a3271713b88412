"""A throwaway PostgreSQL cluster for the test session: the code lives in the app
(``app.local_postgres``), which ``python -m app run --local-postgres`` starts too."""

from app.local_postgres import Cluster, find_bin_dir, free_port, start_cluster

__all__ = ["Cluster", "find_bin_dir", "free_port", "start_cluster"]
