"""Reports (分析): hotspots on H3 cells, bulletins and the command-centre dashboard, read from
the case timeline; `cases` never imports this app."""
