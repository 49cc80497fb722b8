/* Planner page: choropleth, ranking, recompute job, scenarios, site suggestions,
   catchments and unmet demand. All texts come translated from the page config. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("planning-config").textContent);
  var text = config.text;
  var form = document.getElementById("coverage-form");
  var map = null;
  var areaLayer = null;
  var siteLayer = null;
  var suggestionLayer = null;
  var scenario = { sites: [], upgrades: [] };
  // Number of the latest map request; responses to older requests are dropped.
  var coverageRequest = 0;

  // Breaks of the legend, as fractions of people beyond the chosen time.
  var BREAKS = [[0.75, "#bd0026"], [0.5, "#f03b20"], [0.25, "#fd8d3c"], [0.1, "#fecc5c"], [0, "#ffffb2"]];

  function colour(share) {
    if (share === null || share === undefined) { return "#dddddd"; }
    for (var i = 0; i < BREAKS.length; i++) {
      if (share >= BREAKS[i][0]) { return BREAKS[i][1]; }
    }
    return "#ffffb2";
  }

  function formValues() {
    var values = {};
    new FormData(form).forEach(function (value, key) { values[key] = value; });
    return values;
  }

  function query(values) {
    return Object.keys(values).filter(function (key) { return values[key] !== ""; })
      .map(function (key) { return encodeURIComponent(key) + "=" + encodeURIComponent(values[key]); }).join("&");
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function errorText(body) {
    if (!body || !body.errors) { return text.failed; }
    return Object.keys(body.errors).map(function (key) { return body.errors[key].join(" "); }).join(" ");
  }

  function request(url, options) {
    options = options || {};
    // The page's language, because the API would otherwise follow the browser's.
    var language = document.documentElement.lang || "es";
    var init = { credentials: "same-origin", headers: { "Accept": "application/json", "Accept-Language": language } };
    if (options.body) {
      init.method = "POST";
      init.headers["Content-Type"] = "application/json";
      init.headers["X-CSRFToken"] = csrfToken();
      init.body = JSON.stringify(options.body);
    }
    return fetch(url, init).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok) { throw new Error(errorText(body)); }
        return body;
      });
    });
  }

  function number(value) {
    return value === null || value === undefined ? "–" : Number(value).toLocaleString(document.documentElement.lang);
  }

  // One decimal in the page's language: "12,5" in Spanish, "12.5" in English.
  function decimal(value) {
    return Number(value).toLocaleString(document.documentElement.lang,
      { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  }

  function percent(share) {
    return share === null || share === undefined ? "–" : decimal(100 * share) + " %";
  }

  // Fill "%(name)s" placeholders of a translated text.
  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (match, key) {
      return values[key] === undefined ? match : String(values[key]);
    });
  }

  function fillTable(id, rows, emptyText) {
    var body = document.querySelector("#" + id + " tbody");
    body.textContent = "";
    if (!rows.length) {
      var empty = body.insertRow();
      var cell = empty.insertCell();
      cell.colSpan = document.querySelectorAll("#" + id + " thead th").length;
      cell.textContent = emptyText || text.noRows;
      return;
    }
    rows.forEach(function (cells) {
      var row = body.insertRow();
      cells.forEach(function (value) {
        var cell = row.insertCell();
        if (typeof value === "number") { cell.className = "number"; cell.textContent = number(value); }
        else { cell.textContent = value === null || value === undefined ? "–" : value; }
      });
    });
  }

  function showError(id, message) {
    var element = document.getElementById(id);
    element.textContent = message || "";
    element.hidden = !message;
  }

  function updateExports(values) {
    ["csv", "geojson", "png"].forEach(function (format) {
      document.getElementById("export-" + format).href = config.urls.export + format + "?" + query(values);
    });
  }

  function loadCoverage() {
    var values = formValues();
    var status = document.getElementById("map-status");
    var current = ++coverageRequest;
    status.textContent = text.loading;
    updateExports(values);
    request(config.urls.coverage + "?" + query(values)).then(function (collection) {
      if (current !== coverageRequest) { return; }
      var method = document.getElementById("method");
      method.textContent = "";
      collection.method.forEach(function (sentence) {
        var item = document.createElement("li");
        item.textContent = sentence;
        method.appendChild(item);
      });
      drawAreas(collection);
      status.textContent = collection.features.length ? "" : text.noData;
      // The exports contain the same areas as the map, so an empty map means empty files.
      document.getElementById("exports").hidden = !collection.features.length;
      document.getElementById("exports-empty").hidden = collection.features.length > 0;
    }).catch(function (error) { status.textContent = error.message; });

    request(config.urls.ranking + "?" + query(values)).then(function (ranking) {
      if (current !== coverageRequest) { return; }
      fillTable("ranking", ranking.results.map(function (area) {
        return [area.name, area.ubigeo, area.population, area.population_beyond, percent(area.share_beyond),
          area.poverty_rate === null ? null : decimal(area.poverty_rate)];
      }));
    }).catch(function (error) { status.textContent = error.message; });
  }

  function drawAreas(collection) {
    if (!map) { return; }
    if (areaLayer) { map.removeLayer(areaLayer); }
    areaLayer = L.geoJSON(collection, {
      style: function (feature) {
        return { color: "#555", weight: 0.5, fillOpacity: 0.75, fillColor: colour(feature.properties.share_beyond) };
      },
      onEachFeature: function (feature, layer) {
        var p = feature.properties;
        var label = document.createElement("div");
        var title = document.createElement("strong");
        title.textContent = p.name + " (" + p.ubigeo + ")";
        label.appendChild(title);
        label.appendChild(document.createElement("br"));
        label.appendChild(document.createTextNode(number(p.population_beyond) + " " + text.peopleBeyond + " " +
          collection.minutes + " " + text.minutes + " " + text.of + " " + number(p.population) + " (" +
          percent(p.share_beyond) + ")"));
        layer.bindPopup(label);
        // Opening the popup stops the click from reaching the map, so the
        // area itself places the scenario site as well.
        layer.on("click", function (event) { addSite(event.latlng); });
      }
    }).addTo(map);
    if (collection.features.length) { map.fitBounds(areaLayer.getBounds()); }
  }

  function recompute() {
    var values = formValues();
    var status = document.getElementById("job-status");
    var bar = document.getElementById("job-progress");
    if (!values.department) { status.textContent = text.chooseDepartment; return; }
    bar.hidden = false;
    bar.value = 0;
    status.textContent = text.loading;
    request(config.urls.jobs, { body: values }).then(function (job) { follow(job, bar, status); })
      .catch(function (error) { status.textContent = error.message; });
  }

  function follow(job, bar, status) {
    bar.value = job.progress;
    status.textContent = job.status_label + " · " + Math.round(100 * job.progress) + " %";
    if (!job.finished) {
      window.setTimeout(function () {
        request(config.urls.jobs + job.id + "/").then(function (next) { follow(next, bar, status); })
          .catch(function (error) { status.textContent = error.message; });
      }, 1000);
      return;
    }
    status.textContent = job.status === "succeeded" ? text.jobDone : text.jobFailed;
    if (job.status === "succeeded") { loadCoverage(); }
  }

  function listSites() {
    var list = document.getElementById("scenario-sites");
    list.textContent = "";
    scenario.sites.forEach(function (site, index) {
      addListItem(list, text.siteAdded + " " + site.lat.toFixed(4) + ", " + site.lon.toFixed(4), function () {
        scenario.sites.splice(index, 1);
        redrawSites();
      });
    });
    scenario.upgrades.forEach(function (upgrade, index) {
      addListItem(list, upgrade.renaes_code + " → " + upgrade.category, function () {
        scenario.upgrades.splice(index, 1);
        listSites();
      });
    });
    if (!scenario.sites.length && !scenario.upgrades.length) { addListItem(list, text.noSites, null); }
  }

  function addListItem(list, label, onRemove) {
    var item = document.createElement("li");
    item.textContent = label + " ";
    if (onRemove) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button-secondary";
      button.textContent = text.remove;
      button.addEventListener("click", onRemove);
      item.appendChild(button);
    }
    list.appendChild(item);
  }

  function addSite(latlng) {
    scenario.sites.push({ lon: Number(latlng.lng.toFixed(5)), lat: Number(latlng.lat.toFixed(5)) });
    redrawSites();
  }

  function redrawSites() {
    if (siteLayer) { siteLayer.clearLayers(); }
    scenario.sites.forEach(function (site) { L.marker([site.lat, site.lon]).addTo(siteLayer); });
    listSites();
  }

  function runScenario() {
    var values = formValues();
    showError("scenario-error", "");
    if (!values.department) { showError("scenario-error", text.chooseDepartment); return; }
    var body = { department: values.department, care: values.care, mode: values.mode, population: values.population,
      sites: scenario.sites, upgrades: scenario.upgrades };
    request(config.urls.scenario, { body: body }).then(function (result) {
      var rows = result.districts.map(function (row) {
        var cells = [row.name + " (" + row.ubigeo + ")"];
        [30, 60, 120].forEach(function (m) {
          cells.push(number(row["beyond_" + m + "_before"]) + " → " + number(row["beyond_" + m + "_after"]));
        });
        [30, 60, 120].forEach(function (m) { cells.push(row["newly_within_" + m]); });
        return cells;
      });
      fillTable("scenario-table", rows, text.noChange);
      showError("scenario-error", upgradeNotes(result).join(" "));
    }).catch(function (error) { showError("scenario-error", error.message); });
  }

  // Say, per upgrade that changes nothing, why: the facility already gives the care, the new
  // category does not give it, or no one crosses a threshold.
  function upgradeNotes(result) {
    var unchanged = result.upgrades_unchanged.map(function (note) {
      var template = note.reason === "already_gives_care" ? text.alreadyGivesCare : text.levelDoesNotGiveCare;
      return format(template, note);
    });
    var withoutGain = result.upgrades_without_gain.map(function (note) {
      var template = note.people_nearer ? text.upgradeNoGain : text.upgradeNobodyNearer;
      return format(template, Object.assign({}, note, { people_nearer: number(note.people_nearer) }));
    });
    return unchanged.concat(withoutGain);
  }

  function suggest() {
    var values = formValues();
    values.k = document.getElementById("k").value;
    showError("suggest-error", "");
    if (!values.department) { showError("suggest-error", text.chooseDepartment); return; }
    request(config.urls.suggestions + "?" + query(values)).then(function (result) {
      if (suggestionLayer) { suggestionLayer.clearLayers(); }
      fillTable("suggest-table", result.results.map(function (site, index) {
        if (suggestionLayer) {
          L.circleMarker([site.lat, site.lon], { radius: 8, color: "#08519c" })
            .bindTooltip(String(index + 1) + ". " + site.name).addTo(suggestionLayer);
        }
        var district = site.district_name ? site.district_name + " (" + site.ubigeo + ")" : site.ubigeo;
        return [String(index + 1), site.name + " (" + site.code + ")", district, site.gain, site.cumulative];
      }));
      if (!result.results.length) { showError("suggest-error", text.noSuggestions); }
    }).catch(function (error) { showError("suggest-error", error.message); });
  }

  function showCatchments() {
    var values = formValues();
    showError("catchment-error", "");
    if (!values.department) { showError("catchment-error", text.chooseDepartment); return; }
    request(config.urls.catchments + "?" + query(values)).then(function (result) {
      fillTable("catchment-table", result.results.map(function (row) {
        return [row.renaes_code, row.name, row.category, row.within_30, row.within_60, row.within_120, row.load,
          row.people_per_bed];
      }));
    }).catch(function (error) { showError("catchment-error", error.message); });
  }

  function showUnmet() {
    var values = formValues();
    request(config.urls.unmet + "?" + query({ department: values.department })).then(function (result) {
      fillTable("unmet-table", result.results.map(function (group) {
        return [group.district_name + " (" + group.ubigeo + ")", group.need_name, group.searches, group.unmet];
      }));
    }).catch(function (error) { fillTable("unmet-table", [[error.message]]); });
  }

  window.planningInitMap = function (leafletMap) {
    map = leafletMap;
    siteLayer = L.layerGroup().addTo(map);
    suggestionLayer = L.layerGroup().addTo(map);
    map.on("click", function (event) { addSite(event.latlng); });
    loadCoverage();
  };

  form.addEventListener("change", loadCoverage);
  document.getElementById("recompute").addEventListener("click", recompute);
  document.getElementById("run-scenario").addEventListener("click", runScenario);
  document.getElementById("suggest").addEventListener("click", suggest);
  document.getElementById("catchments").addEventListener("click", showCatchments);
  document.getElementById("unmet").addEventListener("click", showUnmet);
  document.getElementById("add-upgrade").addEventListener("click", function () {
    var code = document.getElementById("upgrade-code").value.trim();
    if (!code) { return; }
    scenario.upgrades.push({ renaes_code: code, category: document.getElementById("upgrade-category").value });
    document.getElementById("upgrade-code").value = "";
    listSites();
  });
  listSites();
})();
