"""The sweep's PNGs (api/sweep/plots.py): what the heatmap's cells say."""

from matplotlib.axes import Axes

from api.sweep.plots import plot_figures
from api.sweep.summary import Point, Stat


def test_heatmap_cells_print_large_figures_in_full_not_in_scientific_notation(tmp_path, monkeypatch):
    """A maker's PnL of 1,435 USD read "1.44e+03" in its cell; small figures keep 3 digits."""
    written: list[str] = []
    real = Axes.text

    def text(self, x, y, s, *args, **kwargs):
        written.append(s)
        return real(self, x, y, s, *args, **kwargs)

    monkeypatch.setattr(Axes, "text", text)
    points = [Point({"makers": m, "scenario": sc}, {"pnl": Stat(mean, sd, 3)})
              for (m, sc, mean, sd) in [(1, "a", 1435.2, 120.4), (1, "b", 577.0, 12345.0),
                                        (3, "a", 0.01234, 0.0021), (3, "b", -20500.0, None)]]
    [png] = plot_figures(points, ("makers", "scenario"), ("pnl",), tmp_path, 3)
    assert png.stat().st_size > 0
    assert sorted(written) == sorted(["1,435\n± 120", "577\n± 12,345", "0.0123\n± 0.0021", "-20,500"])
