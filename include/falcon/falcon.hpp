/// @file falcon.hpp
/// Umbrella header of falcon-cpp, the C++ SDK for the CrowdStrike Falcon IOC API.
#pragma once

#include "falcon/bulk.hpp"
#include "falcon/client.hpp"
#include "falcon/config.hpp"
#include "falcon/endpoints.hpp"
#include "falcon/error.hpp"
#include "falcon/feeds.hpp"
#include "falcon/fql.hpp"
#include "falcon/harness.hpp"
#include "falcon/http.hpp"
#include "falcon/ioc.hpp"
#include "falcon/models.hpp"
#include "falcon/pagination.hpp"
#include "falcon/ranges.hpp"
#include "falcon/response.hpp"
#include "falcon/sync.hpp"
#include "falcon/version.hpp"
