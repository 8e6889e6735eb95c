/* 民情气象 (weather.c): the areas' weather from the items in hand. Its
 * public half (hub_workflow_weather_flush) is in hub/workflow.h. Over the base
 * layer (hub/item.h) only. */
#ifndef HUB_WEATHER_H
#define HUB_WEATHER_H

#include "hub/item.h"

/* Marks the weather of code and its ancestors for recomputing
 * (hub_workflow_weather_flush does it, in the open batch). */
proto_err workflow_weather_update(hub_workflow *l, const char *code, int64_t now);

#endif
