#pragma once
// Membrane / multimeter reports: config entries -> engine recorders ->
// SONATA report populations.
#include <filesystem>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "engine/simulation.hpp"
#include "network/network.hpp"
#include "output/report_spool.hpp"
#include "output/writers.hpp"

namespace pointsim::app {

struct ReportPlan {
    std::string name;
    std::string variable;
    std::filesystem::path file;     // final path
    engine::Recorder recorder;      // this process's columns only
    std::vector<network::Gid> gids; // every column, all processes (sorted gids)
};

// One plan per (report, variable). Throws Error(Config) naming the report key.
std::vector<ReportPlan> plan_reports(const config::SimulationConfig& cfg, const network::Network& net,
                                     const TimeGrid& grid);

// The recorded data of one plan, split by population in gid order. `data`
// holds every column (n_samples rows of plan.gids.size() values).
std::vector<output::ReportPopulation> report_populations(const ReportPlan& plan, const std::vector<double>& data,
                                                         const network::Network& net, const TimeGrid& grid);
// The same from the rows a run spooled (every column); the populations read
// them back when written, so `rows` must outlive them.
std::vector<output::ReportPopulation> report_populations(const ReportPlan& plan, const output::ReportSpool& rows,
                                                         const network::Network& net, const TimeGrid& grid);

}  // namespace pointsim::app
