"""Sweeps (docs/sweeps.md): grids of hedging studies and market sessions, run on Dask.

    grid.py     the grid file, read and every cell checked before anything runs
    kinds.py    what a cell computes: `hedge` (sitex hedge) or `session` (sitex simulate)
    runners.py  where cells run: in this process, or on a Dask cluster (local or by address)
    results.py  results.csv and results.parquet written as cells complete; --resume
    sweep.py    one sweep: the cells not yet done, handed to a runner, written as they come
    summary.py  the figures averaged over seeds, with their spread
    plots.py    a PNG per figure
    command.py  `sitex sweep`
"""
