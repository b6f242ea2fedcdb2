//! SVG plots of a run: latency distributions, scaling curves, memory.

use std::path::Path;

use anyhow::{anyhow, Result};
use plotters::prelude::*;

use crate::measure::Summary;
use crate::scenarios::{Results, Setup};

const SIZE: (u32, u32) = (960, 560);

pub fn all(dir: &Path, r: &Results) -> Result<()> {
    latency(&dir.join("bench-switch-latency.svg"), r)?;
    scaling(&dir.join("bench-scaling.svg"), r)?;
    memory(&dir.join("bench-memory.svg"), r)?;
    Ok(())
}

fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("plotting: {e:?}")
}

/// Cumulative distribution of every latency row: how many switches were
/// done by a given time.
fn latency(path: &Path, r: &Results) -> Result<()> {
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let xmax = r
        .latency
        .iter()
        .map(|l| Summary::of(&l.frame).p99)
        .fold(1.0, f64::max)
        * 1.15;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "Switch request → first frame callback of the shown client ({}x{}, headless pixman)",
                r.size.0, r.size.1
            ),
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..xmax, 0.0..1.0)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("latency (ms)")
        .y_desc("fraction of switches")
        .draw()
        .map_err(err)?;
    for (i, row) in r.latency.iter().enumerate() {
        let mut sorted = row.frame.clone();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len().max(1) as f64;
        let points: Vec<(f64, f64)> = sorted
            .iter()
            .enumerate()
            .map(|(k, &ms)| (ms.min(xmax), (k + 1) as f64 / n))
            .collect();
        let color = Palette99::pick(i).to_rgba();
        let style = if row.setup == Setup::Sway {
            color.stroke_width(3)
        } else {
            color.stroke_width(2)
        };
        chart
            .draw_series(LineSeries::new(points, style))
            .map_err(err)?
            .label(format!("{} by {}", row.setup.label(), row.method.label()))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

/// Median and p99 switch latency against the number of personas, a curve
/// per number of background windows.
fn scaling(path: &Path, r: &Results) -> Result<()> {
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let xmax = r.scaling.iter().map(|p| p.personas).max().unwrap_or(2) as f64;
    let ymax = r.scaling.iter().map(|p| p.latency.p99).fold(1.0, f64::max) * 1.2;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Switch latency against personas and background windows (median solid, p99 dashed)",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d((1.0..xmax * 1.1).log_scale(), 0.0..ymax)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("personas")
        .y_desc("latency (ms)")
        .draw()
        .map_err(err)?;
    let mut windows: Vec<usize> = r.scaling.iter().map(|p| p.windows).collect();
    windows.dedup();
    windows.sort();
    windows.dedup();
    for (i, &w) in windows.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let points = |f: fn(&Summary) -> f64| -> Vec<(f64, f64)> {
            r.scaling
                .iter()
                .filter(|p| p.windows == w)
                .map(|p| (p.personas as f64, f(&p.latency)))
                .collect()
        };
        let median = points(|s| s.median);
        chart
            .draw_series(LineSeries::new(median.clone(), color.stroke_width(2)))
            .map_err(err)?
            .label(format!("{w} background windows"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
        chart
            .draw_series(median.iter().map(|&p| Circle::new(p, 4, color.filled())))
            .map_err(err)?;
        chart
            .draw_series(DashedLineSeries::new(points(|s| s.p99), 6, 4, color.into()))
            .map_err(err)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

/// The compositor's RSS with no clients against the number of personas;
/// sway's (one workspace) as a flat line.
fn memory(path: &Path, r: &Results) -> Result<()> {
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mib = |kib: u64| kib as f64 / 1024.0;
    let ours: Vec<(f64, f64)> = r
        .memory
        .iter()
        .filter(|m| m.setup != Setup::Sway)
        .flat_map(|m| m.empty.iter().map(|&(n, rss, _)| (n as f64, mib(rss))))
        .collect();
    let sway = r
        .memory
        .iter()
        .find(|m| m.setup == Setup::Sway)
        .and_then(|m| m.empty.first())
        .map(|&(_, rss, _)| mib(rss));
    let xmax = ours.iter().map(|p| p.0).fold(2.0, f64::max);
    let ymax = ours.iter().map(|p| p.1).chain(sway).fold(1.0, f64::max) * 1.2;
    let mut chart = ChartBuilder::on(&root)
        .caption("Compositor RSS with no clients", ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..xmax * 1.05, 0.0..ymax)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("personas")
        .y_desc("RSS (MiB)")
        .draw()
        .map_err(err)?;
    let blue = Palette99::pick(0).to_rgba();
    chart
        .draw_series(LineSeries::new(ours.clone(), blue.stroke_width(2)))
        .map_err(err)?
        .label("personas (defaults)")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], blue));
    chart
        .draw_series(ours.iter().map(|&p| Circle::new(p, 4, blue.filled())))
        .map_err(err)?;
    if let Some(sway) = sway {
        let red = Palette99::pick(1).to_rgba();
        chart
            .draw_series(DashedLineSeries::new(
                vec![(0.0, sway), (xmax * 1.05, sway)],
                8,
                4,
                red.stroke_width(2),
            ))
            .map_err(err)?
            .label("sway 1.7, no clients")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], red));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}
