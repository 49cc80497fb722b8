/*
 * Family search page: picks a location, collects the household, calls
 * POST /api/v1/match/ and draws the ranked facilities and programmes.
 *
 * Plain browser JavaScript with no build step. Every visible string goes
 * through gettext() from Django's JavaScript catalogue (/jsi18n/).
 * Data from the API is written with textContent, never as HTML.
 */
(function () {
  "use strict";

  var API_MATCH = "/api/v1/match/";
  var API_PLACES = "/api/v1/places/";
  var API_FEEDBACK = "/api/v1/feedback/";
  // The API follows Accept-Language, but the page ignores the browser's language;
  // sending the page's own language keeps results in the language on screen.
  var PAGE_LANGUAGE = document.documentElement.lang || "es";
  var API_ROUTE = "/api/v1/routing/route/";
  var REPORT_URL = "/report-data/";
  var REFERRAL_URL = "/referral/";
  var WHATSAPP_SHARE = "https://wa.me/?text=";
  var OSM_DIRECTIONS = "https://www.openstreetmap.org/directions";
  var SEARCH_PARAM = "s";
  var PLACE_QUERY_MIN_CHARS = 2;
  var PLACE_QUERY_DELAY_MS = 250;
  // Peru's extent, used to frame the map when nothing is chosen.
  var PERU_BOUNDS = [[-18.4, -81.4], [-0.0, -68.6]];
  var MAX_MEMBERS = 15;
  var BOUNDARIES_URL = "/boundaries/";
  // Tile errors with no tile loaded after which the map switches to our own outlines.
  var TILE_ERRORS_BEFORE_FALLBACK = 3;
  // Zoom from which district outlines are drawn in the fallback map.
  var DISTRICT_OUTLINE_MIN_ZOOM = 9;
  // Markers closer than this on screen are drawn as one cluster.
  var CLUSTER_RADIUS_PX = 36;
  var MINUTES_PER_HOUR = 60;
  var MINUTES_PER_DAY = 24 * MINUTES_PER_HOUR;
  // Result cards start with their details open from this width, which is the
  // stylesheet's breakpoint for wider layouts. On phones they start folded.
  var WIDE_SCREEN_QUERY = "(min-width: 40rem)";

  var state = {
    map: null,
    location: null,       // request body "location", or null
    locationMarker: null,
    facilityLayer: null,
    routeLayer: null,     // the line of the route the user chose to see
    facilityMarkers: {},  // renaes_code -> L.Marker
    memberCounter: 0,
    placeRequest: null,   // AbortController of the pending place search
    placeResults: [],
    activeSuggestion: -1,
    lastRequest: null,    // body of the last successful search
    lastParam: "",        // the same, packed for share links
    lastResultCount: 0,
    lastDistrictUbigeo: "",  // district of the search, sent with feedback
    fallbackMap: null,        // outline layers once tiles have failed
    lastSearchId: "",         // search.id of the last results, sent with feedback
    locationDescription: "",  // how the chosen place is named on screen
    placeTextAtLocation: ""   // the place box's text when the location was last set
  };

  var form = document.getElementById("search-form");
  var placeInput = document.getElementById("place-query");
  var suggestionList = document.getElementById("place-suggestions");
  var locationStatus = document.getElementById("location-status");
  var membersBox = document.getElementById("members");
  var memberTemplate = document.getElementById("member-template");
  var searchButton = document.getElementById("search-button");
  var searchStatus = document.getElementById("search-status");
  var routeStatus = document.getElementById("route-status");

  /* ---------- small helpers ---------- */

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }

  function formatNumber(value, decimals) {
    return Number(value).toLocaleString(document.documentElement.lang || "es", {
      minimumFractionDigits: decimals,
      maximumFractionDigits: decimals
    });
  }

  // Write a travel time as matcher/duration_text.py does: "45 min", "2 h 15 min",
  // and days from 24 hours ("3,1 días"), in the page's number format.
  function formatDuration(minutes) {
    var whole = Math.round(minutes);
    if (whole < MINUTES_PER_HOUR) {
      return interpolate(gettext("%(minutes)s min"), {minutes: whole}, true);
    }
    if (whole < MINUTES_PER_DAY) {
      var hours = Math.floor(whole / MINUTES_PER_HOUR);
      var rest = whole % MINUTES_PER_HOUR;
      return rest === 0
        ? interpolate(gettext("%(hours)s h"), {hours: hours}, true)
        : interpolate(gettext("%(hours)s h %(minutes)s min"), {hours: hours, minutes: rest}, true);
    }
    var days = Math.round(whole / MINUTES_PER_DAY * 10) / 10;
    var wholeDays = days % 1 === 0;
    // A fractional number of days ("1,5 días") takes the plural.
    return interpolate(ngettext("%(days)s day", "%(days)s days", wholeDays ? days : 2),
      {days: formatNumber(days, wholeDays ? 0 : 1)}, true);
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) {
      return decodeURIComponent(match[1]);
    }
    var hidden = document.querySelector("input[name=csrfmiddlewaretoken]");
    return hidden ? hidden.value : "";
  }

  function postJson(url, body) {
    return fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "Accept-Language": PAGE_LANGUAGE,
        "X-CSRFToken": csrfToken()
      },
      credentials: "same-origin",
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () {
        return {};
      }).then(function (payload) {
        return {status: response.status, body: payload};
      });
    });
  }

  // Share links carry the search request as URL-safe base64 of its UTF-8
  // JSON, without padding. frontend/sharing.py reads and writes the same.
  function encodeSearch(body) {
    var bytes = new TextEncoder().encode(JSON.stringify(body));
    var binary = "";
    bytes.forEach(function (byte) {
      binary += String.fromCharCode(byte);
    });
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function decodeSearch(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) {
      base64 += "=";
    }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return JSON.parse(new TextDecoder().decode(bytes));
  }

  function shareUrl(param) {
    return window.location.origin + "/?" + SEARCH_PARAM + "=" + param;
  }

  /* ---------- the map ---------- */

  // Called by django-leaflet once the map exists (see the leaflet_map tag).
  window.geosaludInitMap = function (map) {
    state.map = map;
    // django-leaflet keeps its maps out of the global scope, so browser tests
    // and the console reach this one here.
    window.geosaludMap = map;
    state.facilityLayer = L.layerGroup().addTo(map);
    state.routeLayer = L.layerGroup().addTo(map);
    map.on("zoomend", function () {
      clusterMarkers();
    });
    map.fitBounds(PERU_BOUNDS, {animate: false});
    map.on("click", function (event) {
      setPointLocation(event.latlng.lat, event.latlng.lng, gettext("the point you marked on the map"));
    });
    watchTiles(map);
  };

  /* ---------- map without tiles ---------- */

  // When the tile server cannot be reached (no data plan for it, blocked, down),
  // draw department and district outlines from our own database instead.
  function watchTiles(map) {
    var errors = 0;
    var loaded = 0;
    map.eachLayer(function (layer) {
      if (!(layer instanceof L.TileLayer)) {
        return;
      }
      layer.on("tileload", function () {
        loaded++;
      });
      layer.on("tileerror", function () {
        errors++;
        if (!state.fallbackMap && loaded === 0 && errors >= TILE_ERRORS_BEFORE_FALLBACK) {
          startFallbackMap(map, layer);
        }
      });
    });
  }

  function outlineLayer(data, style) {
    return L.geoJSON(data, {
      pane: "boundaries",
      style: style,
      interactive: false,
      onEachFeature: function (feature, layer) {
        layer.bindTooltip(feature.properties.name, {sticky: true});
      }
    });
  }

  function getJson(url) {
    return fetch(url, {headers: {Accept: "application/json", "Accept-Language": PAGE_LANGUAGE}}).then(function (response) {
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      return response.json();
    });
  }

  function startFallbackMap(map, tileLayer) {
    state.fallbackMap = {districts: null};
    map.removeLayer(tileLayer);
    map.getContainer().classList.add("map-fallback");
    map.createPane("boundaries").style.zIndex = 250;
    var notice = document.getElementById("map-notice");
    notice.textContent = gettext("The map images could not load, so the map shows department and district outlines instead.");
    notice.hidden = false;

    getJson(BOUNDARIES_URL + "departments.geojson").then(function (data) {
      outlineLayer(data, {color: "#00587a", weight: 2, fillColor: "#ffffff", fillOpacity: 1}).addTo(map);
    }).catch(function () {
      notice.textContent = gettext("The map images could not load. You can still type your district above.");
    });
    map.on("moveend", function () {
      drawDistrictOutlines(map);
    });
    drawDistrictOutlines(map);
  }

  function drawDistrictOutlines(map) {
    var layers = state.fallbackMap;
    if (map.getZoom() < DISTRICT_OUTLINE_MIN_ZOOM) {
      if (layers.districts) {
        map.removeLayer(layers.districts);
        layers.districts = null;
      }
      return;
    }
    var bounds = map.getBounds();
    var bbox = [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()].map(function (value) {
      return value.toFixed(4);
    }).join(",");
    getJson(BOUNDARIES_URL + "districts.geojson?bbox=" + bbox).then(function (data) {
      if (layers.districts) {
        map.removeLayer(layers.districts);
      }
      layers.districts = outlineLayer(data, {color: "#4a4a4a", weight: 1, dashArray: "4 3", fill: false}).addTo(map);
    }).catch(function () {
      // A box too large or a lost connection: the department outlines stay.
    });
  }

  function showLocationMarker(lat, lon) {
    if (!state.map) {
      return;
    }
    if (state.locationMarker) {
      state.locationMarker.setLatLng([lat, lon]);
    } else {
      state.locationMarker = L.circleMarker([lat, lon], {
        radius: 10, color: "#7a1f00", weight: 3, fillColor: "#ffb000", fillOpacity: 0.9
      }).addTo(state.map);
      state.locationMarker.bindTooltip(gettext("Your location"));
    }
  }

  function setLocation(location, lat, lon, description) {
    state.location = location;
    state.locationDescription = description;
    state.placeTextAtLocation = placeInput.value.trim();
    // Kept on the element so that tests and the share link read the exact request.
    locationStatus.dataset.location = JSON.stringify(location);
    showLocationMarker(lat, lon);
    if (state.map) {
      state.map.setView([lat, lon], Math.max(state.map.getZoom(), 13));
    }
    locationStatus.textContent = interpolate(gettext("Searching from %s."), [description]);
    clearError("location");
  }

  function setPointLocation(lat, lon, description) {
    // Five decimals (about 1 m) is enough, because the server coarsens what it stores.
    var roundedLat = Math.round(lat * 1e5) / 1e5;
    var roundedLon = Math.round(lon * 1e5) / 1e5;
    setLocation({lat: roundedLat, lon: roundedLon}, roundedLat, roundedLon, description);
  }

  function useMyLocation() {
    if (!navigator.geolocation) {
      showError("location", gettext("This browser cannot share your location. Tap the map or type your district instead."));
      return;
    }
    locationStatus.textContent = gettext("Looking for your location…");
    navigator.geolocation.getCurrentPosition(
      function (position) {
        setPointLocation(position.coords.latitude, position.coords.longitude, gettext("your phone's location"));
      },
      function () {
        locationStatus.textContent = gettext("No place chosen yet.");
        showError("location", gettext("Your location could not be read. Allow location access, or tap the map or type your district instead."));
      },
      {enableHighAccuracy: false, timeout: 15000, maximumAge: 600000}
    );
  }

  function useMapCenter() {
    if (!state.map) {
      return;
    }
    var center = state.map.getCenter();
    setPointLocation(center.lat, center.lng, gettext("the centre of the map"));
  }

  /* ---------- place search (combobox) ---------- */

  function placeKindLabel(kind) {
    var labels = {
      department: gettext("Department"),
      province: gettext("Province"),
      district: gettext("District"),
      place: gettext("Populated place")
    };
    return labels[kind] || labels.place;
  }

  function closeSuggestions() {
    suggestionList.hidden = true;
    suggestionList.textContent = "";
    placeInput.setAttribute("aria-expanded", "false");
    placeInput.removeAttribute("aria-activedescendant");
    state.activeSuggestion = -1;
  }

  function renderSuggestions(results) {
    state.placeResults = results;
    suggestionList.textContent = "";
    if (!results.length) {
      var empty = element("li", "suggestion-empty", gettext("No place found with that name. Check the spelling or try the district name."));
      empty.setAttribute("role", "option");
      empty.setAttribute("aria-disabled", "true");
      suggestionList.appendChild(empty);
    }
    results.forEach(function (place, index) {
      var option = element("li", "suggestion");
      option.setAttribute("data-kind", place.kind);
      option.id = "place-option-" + index;
      option.setAttribute("role", "option");
      option.appendChild(element("span", "suggestion-kind", placeKindLabel(place.kind)));
      option.appendChild(element("span", "suggestion-name", place.name));
      option.appendChild(element("span", "suggestion-label", place.label));
      option.addEventListener("mousedown", function (event) {
        event.preventDefault();  // keep focus in the input
        choosePlace(index);
      });
      suggestionList.appendChild(option);
    });
    suggestionList.hidden = false;
    placeInput.setAttribute("aria-expanded", "true");
  }

  function highlightSuggestion(index) {
    var options = suggestionList.querySelectorAll(".suggestion");
    if (!options.length) {
      return;
    }
    state.activeSuggestion = (index + options.length) % options.length;
    options.forEach(function (option, position) {
      option.setAttribute("aria-selected", position === state.activeSuggestion ? "true" : "false");
    });
    placeInput.setAttribute("aria-activedescendant", options[state.activeSuggestion].id);
    options[state.activeSuggestion].scrollIntoView({block: "nearest"});
  }

  function choosePlace(index, results) {
    if (results) {
      state.placeResults = results;
    }
    var place = state.placeResults[index];
    if (!place) {
      return;
    }
    // Departments and provinces come with the ubigeo of their capital district.
    var location = place.kind === "place" ? {place_code: place.code} : {ubigeo: place.ubigeo};
    placeInput.value = place.label;
    closeSuggestions();
    setLocation(location, place.lat, place.lon, place.label);
  }

  function searchPlaces(text) {
    if (state.placeRequest) {
      state.placeRequest.abort();
    }
    var controller = new AbortController();
    state.placeRequest = controller;
    fetch(API_PLACES + "?q=" + encodeURIComponent(text), {
      headers: {Accept: "application/json", "Accept-Language": PAGE_LANGUAGE},
      signal: controller.signal
    })
      .then(function (response) {
        return response.json().then(function (body) {
          return {ok: response.ok, body: body};
        });
      })
      .then(function (reply) {
        if (!reply.ok) {
          showErrors(reply.body.errors || {}, "location");
          closeSuggestions();
          return;
        }
        clearError("location");
        renderSuggestions(reply.body.results || []);
      })
      .catch(function (error) {
        if (error.name !== "AbortError") {
          showError("location", gettext("Places could not be searched. Check your connection and try again."));
        }
      });
  }

  var placeTimer = null;
  function onPlaceInput() {
    var text = placeInput.value.trim();
    clearTimeout(placeTimer);
    if (text.length < PLACE_QUERY_MIN_CHARS) {
      closeSuggestions();
      return;
    }
    placeTimer = setTimeout(function () {
      searchPlaces(text);
    }, PLACE_QUERY_DELAY_MS);
  }

  function onPlaceKeydown(event) {
    if (suggestionList.hidden) {
      return;
    }
    if (event.key === "ArrowDown") {
      event.preventDefault();
      highlightSuggestion(state.activeSuggestion + 1);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      highlightSuggestion(state.activeSuggestion - 1);
    } else if (event.key === "Enter") {
      // Enter picks the highlighted place instead of submitting the form.
      event.preventDefault();
      choosePlace(state.activeSuggestion >= 0 ? state.activeSuggestion : 0);
    } else if (event.key === "Escape") {
      closeSuggestions();
    }
  }

  /* ---------- household members ---------- */

  function memberFieldsets() {
    return Array.prototype.slice.call(membersBox.querySelectorAll(".member"));
  }

  // Give each member its position: legend, error paths, remove button.
  function renumberMembers() {
    var members = memberFieldsets();
    members.forEach(function (member, position) {
      member.querySelector("legend").textContent = interpolate(gettext("Person %s"), [position + 1]);
      member.dataset.errorFor = "household." + position;
      member.querySelectorAll("[data-error-field]").forEach(function (field) {
        field.dataset.errorFor = "household." + position + "." + field.dataset.errorField;
      });
      member.querySelector(".remove-member").hidden = members.length === 1;
    });
    document.getElementById("add-member").hidden = members.length >= MAX_MEMBERS;
  }

  function updatePregnantChoice(member) {
    var female = member.querySelector("input[type=radio][value=F]").checked;
    var choice = member.querySelector(".pregnant-choice");
    choice.hidden = !female;
    if (!female) {
      choice.querySelector("input").checked = false;
    }
  }

  function addMember(focus) {
    var uid = String(state.memberCounter++);
    var fragment = memberTemplate.content.cloneNode(true);
    fragment.querySelectorAll("[id], [for], [name], [aria-describedby]").forEach(function (node) {
      ["id", "for", "name", "aria-describedby"].forEach(function (attribute) {
        var value = node.getAttribute(attribute);
        if (value) {
          node.setAttribute(attribute, value.replace(/__i__/g, uid));
        }
      });
    });
    var member = fragment.querySelector(".member");
    membersBox.appendChild(fragment);

    member.querySelectorAll("input[type=radio]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        updatePregnantChoice(member);
      });
    });
    member.querySelector(".remove-member").addEventListener("click", function () {
      member.remove();
      renumberMembers();
      document.getElementById("add-member").focus();
    });
    updatePregnantChoice(member);
    renumberMembers();
    if (focus) {
      member.querySelector("input[name=age]").focus();
    }
  }

  function readMember(member) {
    var ageText = member.querySelector("input[name=age]").value.trim();
    var sex = member.querySelector("input[type=radio]:checked");
    var chronic = member.querySelector("select[name=chronic_illness]").value;
    return {
      // An empty or malformed age is sent as is, so the server names the problem.
      age: ageText === "" ? null : (isNaN(Number(ageText)) ? ageText : Number(ageText)),
      sex: sex ? sex.value : null,
      pregnant: member.querySelector("input[name=pregnant]").checked,
      disability: member.querySelector("input[name=disability]").checked,
      chronic_illness: chronic === "" ? null : chronic === "yes"
    };
  }

  /* ---------- errors ---------- */

  // Find the error paragraph for an API field path such as "household.0.age",
  // falling back to the parent path ("household.0", "household") and then
  // to the general error under the form.
  function errorSlot(path) {
    var parts = path.split(".");
    while (parts.length) {
      var holder = form.querySelector('[data-error-for="' + parts.join(".") + '"]');
      var slot = holder && holder.querySelector(":scope > .error");
      if (slot) {
        return slot;
      }
      parts.pop();
    }
    return document.getElementById("error-general");
  }

  function showError(path, message) {
    var slot = errorSlot(path);
    if (slot.hidden) {
      slot.textContent = message;
    } else {
      slot.textContent += " " + message;
    }
    slot.hidden = false;
    var holder = slot.parentElement;
    var input = holder.querySelector("input, select");
    if (input && holder !== form) {
      input.setAttribute("aria-invalid", "true");
    }
  }

  function clearError(path) {
    var slot = errorSlot(path);
    slot.hidden = true;
    slot.textContent = "";
  }

  function clearErrors() {
    form.querySelectorAll(".error[id]").forEach(function (slot) {
      slot.hidden = true;
      slot.textContent = "";
    });
    form.querySelectorAll("[aria-invalid]").forEach(function (input) {
      input.removeAttribute("aria-invalid");
    });
  }

  function showErrors(errors, defaultPath) {
    Object.keys(errors).forEach(function (path) {
      var messages = [].concat(errors[path]);
      var target = path === "non_field_errors" ? (defaultPath || "general") : path;
      messages.forEach(function (message) {
        showError(target, String(message));
      });
    });
  }

  function focusFirstError() {
    var first = form.querySelector(".error:not([hidden])");
    if (!first) {
      return;
    }
    var input = first.parentElement.querySelector("input, select");
    (input || first).focus();
    first.scrollIntoView({block: "center"});
  }

  /* ---------- the search ---------- */

  function readRequest() {
    var checked = function (name) {
      var input = form.querySelector("input[name=" + name + "]:checked");
      return input ? input.value : null;
    };
    return {
      location: state.location,
      household: memberFieldsets().map(readMember),
      needs: Array.prototype.map.call(form.querySelectorAll("input[name=needs]:checked"), function (box) {
        return box.value;
      }),
      insurance: checked("insurance"),
      sisfoh: checked("sisfoh"),
      cse_month: form.querySelector("input[name=cse_month]").value.trim() || null,
      mode: checked("mode")
    };
  }

  function onSubmit(event) {
    event.preventDefault();
    clearErrors();
    var body = readRequest();
    var typed = placeInput.value.trim();
    // Text typed after the last chosen place means the family wants that place instead.
    if (typed.length >= PLACE_QUERY_MIN_CHARS && typed !== state.placeTextAtLocation) {
      searchFromTypedPlace(typed, body);
      return;
    }
    if (!body.location) {
      showError("location", gettext("Choose a place first: tap the map, use your location or type your district."));
      focusFirstError();
      return;
    }
    runSearch(body);
  }

  // Search from the best match of a place name typed without picking a suggestion.
  function searchFromTypedPlace(typed, body) {
    closeSuggestions();
    searchStatus.textContent = gettext("Looking for the place you typed…");
    getJson(API_PLACES + "?q=" + encodeURIComponent(typed)).then(function (reply) {
      var place = (reply.results || [])[0];
      searchStatus.textContent = "";
      if (!place) {
        showError("location", interpolate(
          gettext("No place matches “%s”. Choose your district in the list, or tap the map."), [typed]));
        focusFirstError();
        return;
      }
      choosePlace(0, reply.results);
      locationStatus.textContent = interpolate(
        gettext("Searching from %(place)s, the first place that matches “%(typed)s”. If it is not yours, choose it in the list."),
        {place: place.label, typed: typed}, true);
      body.location = state.location;
      runSearch(body);
    }).catch(function () {
      searchStatus.textContent = "";
      showError("location", interpolate(
        gettext("The place “%s” could not be looked up. Choose your district in the list, or tap the map."), [typed]));
      focusFirstError();
    });
  }

  function runSearch(body) {
    searchButton.disabled = true;
    searchStatus.textContent = gettext("Searching… on a slow connection this can take a few seconds.");

    postJson(API_MATCH, body)
      .then(function (reply) {
        if (reply.status === 200) {
          searchStatus.textContent = "";
          rememberSearch(body);
          renderResults(reply.body);
        } else if (reply.status === 400) {
          searchStatus.textContent = gettext("Please correct the marked fields.");
          showErrors(reply.body.errors || {});
          focusFirstError();
        } else {
          searchStatus.textContent = "";
          showError("general", interpolate(gettext("The search failed on the server (error %s). Please try again in a moment."), [reply.status]));
        }
      })
      .catch(function () {
        searchStatus.textContent = "";
        showError("general", gettext("The search could not reach the server. Check your connection and try again."));
      })
      .then(function () {
        searchButton.disabled = false;
      });
  }

  // Put the search in the address bar so that reloading or sharing reopens it.
  function rememberSearch(body) {
    state.lastRequest = body;
    state.lastParam = encodeSearch(body);
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", "?" + SEARCH_PARAM + "=" + state.lastParam);
    }
  }

  /* ---------- a shared search ---------- */

  function setChecked(name, value) {
    var input = form.querySelector("input[name=" + name + "][value='" + value + "']");
    if (input) {
      input.checked = true;
    }
  }

  function fillMember(member, data) {
    member.querySelector("input[name=age]").value = data.age === null || data.age === undefined ? "" : data.age;
    var sex = member.querySelector("input[type=radio][value='" + data.sex + "']");
    if (sex) {
      sex.checked = true;
    }
    updatePregnantChoice(member);
    member.querySelector("input[name=pregnant]").checked = !!data.pregnant;
    member.querySelector("input[name=disability]").checked = !!data.disability;
    var chronic = data.chronic_illness;
    member.querySelector("select[name=chronic_illness]").value = chronic === true ? "yes" : (chronic === false ? "no" : "");
  }

  function fillForm(body) {
    memberFieldsets().forEach(function (member) {
      member.remove();
    });
    (body.household || []).slice(0, MAX_MEMBERS).forEach(function (data) {
      addMember(false);
      var members = memberFieldsets();
      fillMember(members[members.length - 1], data);
    });
    if (!memberFieldsets().length) {
      addMember(false);
    }
    form.querySelectorAll("input[name=needs]").forEach(function (box) {
      box.checked = (body.needs || []).indexOf(box.value) !== -1;
    });
    setChecked("insurance", body.insurance);
    setChecked("sisfoh", body.sisfoh);
    form.querySelector("input[name=cse_month]").value = body.cse_month || "";
    setChecked("mode", body.mode);
  }

  // Reopen the search in a shared link (?s=...) and run it at once.
  function restoreSharedSearch() {
    var param = new URLSearchParams(window.location.search).get(SEARCH_PARAM);
    if (!param) {
      return;
    }
    var body;
    try {
      body = decodeSearch(param);
    } catch (error) {
      showError("general", gettext("The shared link is damaged and its search cannot be read. Search again below."));
      return;
    }
    fillForm(body);
    if (body.location) {
      state.location = body.location;
      locationStatus.dataset.location = JSON.stringify(body.location);
      state.locationDescription = gettext("the place in the shared link");
      locationStatus.textContent = gettext("Searching from the place in the shared link.");
      runSearch(body);
    }
  }

  /* ---------- results ---------- */

  function travelLine(facility) {
    var time = facility.travel_time_min === null || facility.travel_time_min === undefined
      ? gettext("unknown time")
      : formatDuration(facility.travel_time_min);
    var distance = facility.distance_km === null || facility.distance_km === undefined
      ? ""
      : " · " + interpolate(gettext("%s km"), [formatNumber(facility.distance_km, 1)]);
    return time + distance;
  }

  function sourceLabel(source) {
    return source === "road_network" ? gettext("by the road network") : gettext("straight-line estimate");
  }

  function addDetail(list, label, value) {
    if (value === null || value === undefined || value === "") {
      return null;
    }
    var term = element("dt", null, label);
    var definition = element("dd");
    if (value instanceof Node) {
      definition.appendChild(value);
    } else {
      definition.textContent = value;
    }
    list.appendChild(term);
    list.appendChild(definition);
    return definition;
  }

  // The server splits the registry field into numbers and gives each the number
  // a mobile can dial from anywhere in Peru (geoservices/phones.py).
  function phoneLinks(text, phones) {
    if (!phones || !phones.length) {
      return text ? String(text) : "";
    }
    var wrapper = element("span");
    phones.forEach(function (phone, index) {
      if (index) {
        wrapper.appendChild(document.createTextNode(" · "));
      }
      var link = element("a", "phone-link", phone.number);
      link.href = "tel:" + phone.dial;
      link.setAttribute("aria-label", interpolate(gettext("Call %s"), [phone.number]));
      wrapper.appendChild(link);
    });
    return wrapper;
  }

  // The time's method, folded under a short question so that cards stay short on a phone.
  function methodDetails(text) {
    var box = element("details", "help travel-method");
    box.appendChild(element("summary", null, gettext("How was the travel time calculated?")));
    box.appendChild(element("p", null, text));
    return box;
  }

  // Return the method text when every result shares it, so that it is shown once above the list.
  function sharedMethod(facilities) {
    var texts = facilities.map(function (facility) {
      return facility.travel_time_method || "";
    });
    return texts.length && texts.every(function (text) {
      return text === texts[0];
    }) ? texts[0] : "";
  }

  /* ---------- folded card details ---------- */

  // Build the folded part of a "facility" or "program" card, open from
  // WIDE_SCREEN_QUERY up. The summary contains both labels and the stylesheet
  // shows the one for the open state, so the toggle needs no script.
  // Screen readers announce the card's heading (headingId) with the toggle.
  function foldedDetails(kind, headingId) {
    var more = element("details", "card-more " + kind + "-more");
    more.open = window.matchMedia(WIDE_SCREEN_QUERY).matches;
    var summary = element("summary", "card-more-toggle " + kind + "-more-toggle");
    summary.appendChild(element("span", "when-closed", gettext("Show details")));
    summary.appendChild(element("span", "when-open", gettext("Hide details")));
    summary.setAttribute("aria-describedby", headingId);
    more.appendChild(summary);
    return more;
  }

  // Build a result card. What a family needs to choose stays in view, and the
  // rest folds under "Show details", which starts open on wide screens only.
  function facilityItem(facility, methodShownAbove) {
    var item = element("li", "facility");
    item.id = "facility-" + facility.renaes_code;
    item.appendChild(facilityHeading(facility));
    var kind = [facility.category, facility.institution_label || facility.institution].filter(Boolean).join(" · ");
    if (kind) {
      item.appendChild(element("p", "facility-kind", kind));
    }
    item.appendChild(travelParagraph(facility));
    if (facility.reasons && facility.reasons.length) {
      item.appendChild(element("p", "facility-first-reason", facility.reasons[0]));
    }
    // A limit of the family's insurance stays in view: the API lists its reason second.
    if (facility.insurance_terms === "emergency_only" && facility.reasons && facility.reasons[1]) {
      item.appendChild(element("p", "facility-first-reason facility-terms-limit", facility.reasons[1]));
    }
    var mainActions = facilityMainActions(facility);
    if (mainActions.children.length) {
      item.appendChild(mainActions);
    }
    item.appendChild(facilityMore(facility, methodShownAbove));

    item.querySelectorAll(".phone-link, .call-link").forEach(function (link) {
      link.addEventListener("click", function () {
        sendFeedback(facility, "called");
      });
    });
    return item;
  }

  // The rank is the number of the facility's marker on the map.
  function facilityHeading(facility) {
    var heading = element("h4", "facility-heading");
    heading.id = "facility-" + facility.renaes_code + "-heading";
    heading.appendChild(element("span", "facility-rank", String(Number(facility.rank) || "")));
    heading.appendChild(document.createTextNode(" "));
    heading.appendChild(element("span", "facility-name", facility.name));
    return heading;
  }

  function travelParagraph(facility) {
    var travel = element("p", "travel");
    travel.appendChild(element("strong", "travel-time", travelLine(facility)));
    var badge = element("span", "badge badge-" + facility.travel_time_source, sourceLabel(facility.travel_time_source));
    travel.appendChild(document.createTextNode(" "));
    travel.appendChild(badge);
    return travel;
  }

  // Build the actions of a folded card. Calling the first listed number and
  // drawing the route are the two steps from the list to the facility.
  function facilityMainActions(facility) {
    var actions = element("div", "facility-actions facility-main-actions");
    var phone = facility.phone && facility.phones && facility.phones[0];
    if (phone) {
      var call = element("a", "button-secondary button-link-like call-link",
        interpolate(gettext("Call %s"), [phone.number]));
      call.href = "tel:" + phone.dial;
      actions.appendChild(call);
    }
    var lineButton = routeLineButton(facility);
    if (lineButton) {
      actions.appendChild(lineButton);
    }
    return actions;
  }

  function facilityMore(facility, methodShownAbove) {
    var more = foldedDetails("facility", "facility-" + facility.renaes_code + "-heading");
    if (facility.travel_time_method && !methodShownAbove) {
      more.appendChild(methodDetails(facility.travel_time_method));
    }
    more.appendChild(facilityDetailList(facility));
    if (facility.reasons && facility.reasons.length) {
      more.appendChild(listOf("reasons", facility.reasons));
    }
    if (facility.services_inferred) {
      more.appendChild(element("p", "note", gettext("Services inferred from the category.")));
    }
    more.appendChild(facilityOtherActions(facility));
    more.appendChild(feedbackBox(facility));
    more.appendChild(reportBox(facility));
    return more;
  }

  function facilityDetailList(facility) {
    var details = element("dl", "facility-details");
    addDetail(details, gettext("Category"), facility.category);
    addDetail(details, gettext("Institution"), facility.institution_label || facility.institution);
    addDetail(details, gettext("Address"), [facility.address, facility.district && facility.district.name]
      .filter(Boolean).join(", "));
    addDetail(details, gettext("Phone"), facility.phone ? phoneLinks(facility.phone, facility.phones) : gettext("Not listed"));
    var hours = addDetail(details, gettext("Opening hours"), facility.hours || gettext("Not listed"));
    var openBadge = facility.hours ? openNowBadge(facility.hours) : null;
    if (openBadge) {
      hours.appendChild(document.createTextNode(" "));
      hours.appendChild(openBadge);
    }
    return details;
  }

  function facilityOtherActions(facility) {
    var actions = element("div", "facility-actions");
    var showButton = element("button", "button-secondary show-on-map", gettext("Show on the map"));
    showButton.type = "button";
    showButton.addEventListener("click", function () {
      focusFacilityOnMap(facility);
      sendFeedback(facility, "opened");
    });
    actions.appendChild(showButton);
    var route = routeLink(facility);
    if (route) {
      actions.appendChild(route);
    }
    var slipLink = element("a", "button-secondary button-link-like referral-link", gettext("Referral slip"));
    slipLink.href = REFERRAL_URL + "?" + SEARCH_PARAM + "=" + state.lastParam + "&facility=" + encodeURIComponent(facility.renaes_code);
    actions.appendChild(slipLink);
    return actions;
  }

  // Open a card's folded details, as when the map popup's link leads to it.
  function openFacilityDetails(renaesCode) {
    var item = document.getElementById("facility-" + renaesCode);
    var more = item && item.querySelector(".facility-more");
    if (more) {
      more.open = true;
    }
  }

  // A button that fetches the route from the searched point to the facility
  // (the same graph and time as the result) and draws it on the map.
  function routeLineButton(facility) {
    var from = state.locationMarker && state.locationMarker.getLatLng();
    if (!from || !facility.location || !state.map) {
      return null;
    }
    var button = element("button", "button-secondary route-line-button", gettext("Show route on the map"));
    button.type = "button";
    button.addEventListener("click", function () {
      var mode = (state.lastRequest && state.lastRequest.mode) || "walk";
      var url = API_ROUTE + "?from_lat=" + from.lat.toFixed(6) + "&from_lon=" + from.lng.toFixed(6) +
        "&to_lat=" + Number(facility.location.lat).toFixed(6) + "&to_lon=" + Number(facility.location.lon).toFixed(6) +
        "&mode=" + encodeURIComponent(mode);
      // The map and the status under it come into view, as "Show on the map" does.
      showRouteStatus(gettext("Loading the route…"));
      document.getElementById("map").scrollIntoView({block: "center"});
      getJson(url).then(function (feature) {
        drawRoute(feature, facility);
        sendFeedback(facility, "routed");
      }).catch(function () {
        showRouteStatus(gettext("The route could not be loaded. Check your connection and try again."));
      });
    });
    return button;
  }

  function showRouteStatus(text) {
    routeStatus.textContent = text;
    routeStatus.hidden = false;
  }

  // Road routes are solid; straight lines (estimates, walks across country) are dashed.
  function drawRoute(feature, facility) {
    state.routeLayer.clearLayers();
    if (!feature.geometry) {
      showRouteStatus(feature.properties.method);
      return;
    }
    var latLngs = feature.geometry.coordinates.map(function (point) {
      return [point[1], point[0]];
    });
    var straight = feature.properties.path !== "road";
    var line = L.polyline(latLngs, {
      className: "route-line",
      color: "#0b5394",
      weight: 5,
      opacity: 0.85,
      dashArray: straight ? "8 8" : null
    }).addTo(state.routeLayer);
    line.bindTooltip(facility.name);
    state.map.fitBounds(line.getBounds(), {padding: [24, 24]});
    showRouteStatus(interpolate(gettext("Route to %s shown on the map. %s"), [facility.name, feature.properties.method]));
    document.getElementById("map").scrollIntoView({block: "center"});
  }

  // OpenStreetMap's own directions page (OSRM) for the searched point, kept
  // next to the app's route line for turn-by-turn directions.
  function routeLink(facility) {
    var from = state.locationMarker && state.locationMarker.getLatLng();
    if (!from || !facility.location) {
      return null;
    }
    var engine = state.lastRequest && state.lastRequest.mode === "drive" ? "fossgis_osrm_car" : "fossgis_osrm_foot";
    var link = element("a", "button-secondary button-link-like route-link", gettext("Route on OpenStreetMap"));
    link.href = OSM_DIRECTIONS + "?engine=" + engine + "&route=" + from.lat.toFixed(5) + "%2C" + from.lng.toFixed(5) +
      "%3B" + Number(facility.location.lat).toFixed(5) + "%2C" + Number(facility.location.lon).toFixed(5);
    link.rel = "noopener";
    link.addEventListener("click", function () {
      sendFeedback(facility, "routed");
    });
    return link;
  }

  /* ---------- feedback ---------- */

  // Feedback carries the facility, its rank and the search's coarse
  // context (needs, insurance, mode, district), never ages or locations.
  function sendFeedback(facility, action) {
    var body = {
      action: action,
      renaes_code: facility.renaes_code,
      rank: facility.rank,
      results_count: state.lastResultCount,
      travel_time_min: facility.travel_time_min,
      travel_time_source: facility.travel_time_source
    };
    if (state.lastRequest) {
      body.needs = state.lastRequest.needs;
      body.insurance = state.lastRequest.insurance;
      body.mode = state.lastRequest.mode;
    }
    if (state.lastDistrictUbigeo) {
      body.ubigeo = state.lastDistrictUbigeo;
    }
    // The search id ties the feedback to the list that was shown, for the ranker.
    if (state.lastSearchId) {
      body.search_id = state.lastSearchId;
    }
    if (facility.model_version) {
      body.model_version = facility.model_version;
    }
    return postJson(API_FEEDBACK, body).catch(function () {
      return {status: 0, body: {}};
    });
  }

  function feedbackBox(facility) {
    var box = element("div", "feedback");
    var question = element("p", "feedback-question", gettext("Did you go? Were you attended here?"));
    var buttons = element("div", "button-row");
    var thanks = element("p", "feedback-thanks");
    thanks.setAttribute("role", "status");
    [["attended", gettext("Yes, I was attended")], ["not_attended", gettext("No, I was not attended")]].forEach(function (choice) {
      var button = element("button", "button-secondary", choice[1]);
      button.type = "button";
      button.addEventListener("click", function () {
        buttons.querySelectorAll("button").forEach(function (other) {
          other.disabled = true;
        });
        sendFeedback(facility, choice[0]).then(function (reply) {
          thanks.textContent = reply.status === 201
            ? gettext("Thank you. Your answer helps other families; it is stored without personal data.")
            : gettext("Your answer could not be sent. Try again later.");
          buttons.querySelectorAll("button").forEach(function (other) {
            other.disabled = reply.status === 201;
          });
        });
      });
      buttons.appendChild(button);
    });
    box.appendChild(question);
    box.appendChild(buttons);
    box.appendChild(thanks);
    return box;
  }

  // The form comes from a server-rendered template, so its topic labels are
  // the review queue's own.
  function reportBox(facility) {
    var box = document.getElementById("report-template").content.cloneNode(true).querySelector(".report");
    var reportForm = box.querySelector("form");
    var statusLine = box.querySelector(".report-status");
    reportForm.querySelectorAll("input[name=topic]").forEach(function (radio) {
      radio.name = "topic-" + facility.renaes_code;
    });
    reportForm.addEventListener("submit", function (event) {
      event.preventDefault();
      reportForm.querySelectorAll(".error").forEach(function (slot) {
        slot.hidden = true;
      });
      var topic = reportForm.querySelector("input[type=radio]:checked");
      var body = {
        renaes_code: facility.renaes_code,
        topic: topic ? topic.value : "",
        comment: reportForm.querySelector("textarea").value.trim()
      };
      postJson(REPORT_URL, body).then(function (reply) {
        if (reply.status === 201) {
          statusLine.textContent = gettext("Thank you. An administrator will check this facility's data.");
          reportForm.querySelector("button").disabled = true;
          return;
        }
        var errors = (reply.body && reply.body.errors) || {};
        Object.keys(errors).forEach(function (field) {
          var holder = reportForm.querySelector('[data-report-field="' + field + '"]');
          var slot = holder ? holder.querySelector(".error") : null;
          if (slot) {
            slot.textContent = [].concat(errors[field]).join(" ");
            slot.hidden = false;
          } else {
            statusLine.textContent = [].concat(errors[field]).join(" ");
          }
        });
      }).catch(function () {
        statusLine.textContent = gettext("Your answer could not be sent. Try again later.");
      });
    });
    return box;
  }

  /* ---------- open now ---------- */

  function minutesOfDay(hours, minutes) {
    return Number(hours) * 60 + Number(minutes);
  }

  function limaMinutesNow() {
    var parts = new Intl.DateTimeFormat("en-GB", {
      timeZone: "America/Lima", hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    }).formatToParts(new Date());
    var value = function (type) {
      return parts.filter(function (part) {
        return part.type === type;
      })[0].value;
    };
    return minutesOfDay(value("hour"), value("minute"));
  }

  // Return true or false from hours such as "08:00 - 20:00", "07:00-01:00"
  // or "24 HORAS", and null when the text has another form. The registry
  // gives no days of the week, so this reads the hours as daily.
  function isOpenNow(hours, now) {
    var text = String(hours || "");
    if (/24\s*HORAS/i.test(text)) {
      return true;
    }
    var match = text.match(/(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})/);
    if (!match) {
      return null;
    }
    var opens = minutesOfDay(match[1], match[2]);
    var closes = minutesOfDay(match[3], match[4]);
    if (opens === closes) {
      return true;
    }
    return opens < closes ? (now >= opens && now < closes) : (now >= opens || now < closes);
  }

  function openNowBadge(hours) {
    var open = isOpenNow(hours, limaMinutesNow());
    if (open === null) {
      return null;
    }
    return element("span", "badge " + (open ? "badge-open" : "badge-closed"),
      open ? gettext("Open now, by the registered hours") : gettext("Closed now, by the registered hours"));
  }

  function focusFacilityOnMap(facility) {
    var marker = state.facilityMarkers[facility.renaes_code];
    if (!marker || !state.map) {
      return;
    }
    state.map.setView(marker.getLatLng(), Math.max(state.map.getZoom(), 17), {animate: false});
    // The marker may still sit inside a cluster, so the popup opens on the map itself.
    state.map.openPopup(facilityPopup(facility), marker.getLatLng());
    document.getElementById("map").scrollIntoView({block: "center"});
  }

  function facilityPopup(facility) {
    var box = element("div", "popup");
    box.appendChild(element("strong", null, facility.rank + ". " + facility.name));
    box.appendChild(element("div", null, [facility.category, facility.institution_label].filter(Boolean).join(" · ")));
    box.appendChild(element("div", null, travelLine(facility) + " (" + sourceLabel(facility.travel_time_source) + ")"));
    var link = element("a", null, gettext("See details"));
    link.href = "#facility-" + facility.renaes_code;
    link.addEventListener("click", function () {
      openFacilityDetails(facility.renaes_code);
    });
    box.appendChild(link);
    return box;
  }

  function drawFacilities(facilities) {
    if (!state.map) {
      return;
    }
    state.facilityLayer.clearLayers();
    state.routeLayer.clearLayers();
    state.facilityMarkers = {};
    var bounds = [];
    facilities.forEach(function (facility) {
      if (!facility.location) {
        return;
      }
      var latLng = [facility.location.lat, facility.location.lon];
      var marker = L.marker(latLng, {
        icon: L.divIcon({className: "rank-icon", html: String(Number(facility.rank) || ""), iconSize: [32, 32]}),
        title: facility.name,
        alt: facility.name,
        keyboard: true
      });
      marker.bindPopup(facilityPopup(facility));
      state.facilityMarkers[facility.renaes_code] = marker;
      bounds.push(latLng);
    });
    if (state.locationMarker) {
      bounds.push(state.locationMarker.getLatLng());
    }
    if (bounds.length) {
      state.map.fitBounds(bounds, {padding: [24, 24], maxZoom: 16, animate: false});
    }
    clusterMarkers();
  }

  // Group markers closer than CLUSTER_RADIUS_PX on screen into one numbered
  // circle; tapping it zooms to its facilities. Ten results do not need a
  // clustering library, so this greedy grouping runs again on every zoom.
  function clusterMarkers() {
    var map = state.map;
    var clusters = [];
    state.facilityLayer.clearLayers();
    Object.keys(state.facilityMarkers).forEach(function (code) {
      var marker = state.facilityMarkers[code];
      var point = map.latLngToLayerPoint(marker.getLatLng());
      var near = clusters.filter(function (cluster) {
        return cluster.point.distanceTo(point) < CLUSTER_RADIUS_PX;
      })[0];
      if (near) {
        near.markers.push(marker);
      } else {
        clusters.push({point: point, markers: [marker]});
      }
    });
    clusters.forEach(function (cluster) {
      if (cluster.markers.length === 1) {
        cluster.markers[0].addTo(state.facilityLayer);
        return;
      }
      var bounds = L.latLngBounds(cluster.markers.map(function (marker) {
        return marker.getLatLng();
      }));
      var label = interpolate(gettext("%s facilities here; zoom in to see them"), [cluster.markers.length]);
      var icon = L.divIcon({className: "cluster-icon", html: String(cluster.markers.length), iconSize: [40, 40]});
      L.marker(bounds.getCenter(), {icon: icon, title: label, alt: label, keyboard: true})
        .on("click", function () {
          map.fitBounds(bounds, {padding: [48, 48], maxZoom: map.getMaxZoom()});
        })
        .addTo(state.facilityLayer);
    });
  }

  function statusLabel(status) {
    if (status === "eligible") {
      return gettext("Qualifies");
    }
    if (status === "likely") {
      return gettext("Probably qualifies");
    }
    return gettext("Does not seem to qualify");
  }

  function listOf(className, items) {
    var list = element("ul", className);
    items.forEach(function (text) {
      list.appendChild(element("li", null, text));
    });
    return list;
  }

  // Build a programme card. Its name, the household's status and the first
  // reason stay in view, and the rest folds as in the facility cards.
  function programItem(program) {
    var item = element("li", "program program-" + program.status);
    var heading = element("h4", null, program.name);
    heading.id = "program-" + program.code + "-heading";
    item.appendChild(heading);
    item.appendChild(element("p", "badge badge-" + program.status, statusLabel(program.status)));
    var reasons = program.reasons || [];
    if (reasons.length) {
      item.appendChild(element("p", "program-first-reason", reasons[0]));
    }
    var more = programMore(program, heading.id, reasons.slice(1));
    // A programme whose first reason is all it has needs no toggle.
    if (more.children.length > 1) {
      item.appendChild(more);
    }
    return item;
  }

  // Fold the other reasons, each member's status, the documents and the next step.
  function programMore(program, headingId, otherReasons) {
    var more = foldedDetails("program", headingId);
    if (otherReasons.length) {
      more.appendChild(listOf("reasons", otherReasons));
    }
    var members = (program.members || []).filter(function (member) {
      return member.status !== "not_eligible" || program.status === "not_eligible";
    });
    if (members.length) {
      var memberList = element("ul", "program-members");
      members.forEach(function (member) {
        var line = interpolate(gettext("Person %s"), [Number(member.index) + 1]) + ": " +
          statusLabel(member.status) + (member.reason ? " — " + member.reason : "");
        memberList.appendChild(element("li", null, line));
      });
      more.appendChild(memberList);
    }
    if (program.documents && program.documents.length) {
      more.appendChild(element("p", "documents-title", gettext("Documents to bring:")));
      more.appendChild(listOf("documents", program.documents));
    }
    if (program.next_step) {
      var next = element("p", "next-step");
      next.appendChild(element("strong", null, gettext("Next step:") + " "));
      next.appendChild(document.createTextNode(program.next_step));
      more.appendChild(next);
    }
    return more;
  }

  function renderPrograms(programs) {
    var list = document.getElementById("program-list");
    var otherList = document.getElementById("program-list-not-eligible");
    var otherBox = document.getElementById("programs-not-eligible");
    list.textContent = "";
    otherList.textContent = "";
    programs.forEach(function (program) {
      (program.status === "not_eligible" ? otherList : list).appendChild(programItem(program));
    });
    if (!list.children.length) {
      list.appendChild(element("li", "empty", gettext("No programme matches this household with the answers given.")));
    }
    otherBox.hidden = !otherList.children.length;
  }

  /* ---------- the other travel mode ---------- */

  function otherMode(mode) {
    return mode === "walk" ? "drive" : "walk";
  }

  function setUpOtherModeButton() {
    var button = document.getElementById("other-mode-button");
    var mode = otherMode(state.lastRequest.mode);
    button.textContent = mode === "drive" ? gettext("Also show times by vehicle") : gettext("Also show times walking");
    button.disabled = false;
    button.hidden = false;
    document.getElementById("other-mode-status").textContent = "";
  }

  // Search again with the other mode and add its time to each listed facility.
  function showOtherModeTimes() {
    var button = document.getElementById("other-mode-button");
    var statusLine = document.getElementById("other-mode-status");
    var mode = otherMode(state.lastRequest.mode);
    var body = Object.assign({}, state.lastRequest, {mode: mode});
    button.disabled = true;
    statusLine.textContent = gettext("Searching…");
    postJson(API_MATCH, body).then(function (reply) {
      if (reply.status !== 200) {
        throw new Error(String(reply.status));
      }
      var byCode = {};
      (reply.body.facilities || []).forEach(function (facility) {
        byCode[facility.renaes_code] = facility;
      });
      var label = mode === "drive" ? gettext("By vehicle:") : gettext("Walking:");
      document.querySelectorAll("#facility-list > li.facility").forEach(function (item) {
        var other = byCode[item.id.replace("facility-", "")];
        var line = item.querySelector(".other-mode-time") || element("p", "other-mode-time");
        line.textContent = label + " " + (other
          ? travelLine(other) + " (" + sourceLabel(other.travel_time_source) + ")"
          : gettext("not among the results for this mode"));
        item.querySelector(".travel").after(line);
      });
      statusLine.textContent = "";
      button.hidden = true;
    }).catch(function () {
      statusLine.textContent = gettext("The other times could not be loaded. Try again.");
      button.disabled = false;
    });
  }

  function renderShareBox() {
    var url = shareUrl(state.lastParam);
    var whatsapp = document.getElementById("share-whatsapp");
    whatsapp.href = WHATSAPP_SHARE + encodeURIComponent(gettext("Health care options found with GeoSalud:") + " " + url);
    document.getElementById("share-url").value = url;
  }

  function copyShareUrl() {
    var input = document.getElementById("share-url");
    var status = document.getElementById("share-status");
    var done = function () {
      status.textContent = gettext("Link copied.");
    };
    input.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () {
        status.textContent = gettext("Select the link and copy it.");
      });
    } else if (document.execCommand && document.execCommand("copy")) {
      done();
    } else {
      status.textContent = gettext("Select the link and copy it.");
    }
  }

  // Name how the list is ordered. A learned order comes from SIMULATED family choices until
  // enough real feedback exists, and the page must state that.
  function rankingNote(method) {
    if (method === "pytorch" || method === "baseline") {
      return gettext("Ordered by a model trained on simulated (not real) family choices. It weighs travel time, the facility's category, 24-hour opening and your insurance's terms.");
    }
    return gettext("Ordered by travel time.");
  }

  // Warn when, for some requested care, even the fastest result that offers it takes longer than the
  // notice's limit over roads: a nearby post that only vaccinates does not help a birth.
  function showLongTripNotice(facilities, needs) {
    var notice = document.getElementById("long-trip-notice");
    var limit = Number(notice.dataset.minutes);
    var tooFar = (needs || []).some(function (need) {
      var offering = facilities.filter(function (facility) {
        return (facility.needs_met || []).indexOf(need) !== -1;
      });
      return offering.length && fastestMinutes(offering) > limit;
    });
    notice.hidden = !(facilities.length && (tooFar || fastestMinutes(facilities) > limit));
  }

  function fastestMinutes(facilities) {
    var times = facilities.map(function (facility) {
      return facility.travel_time_min;
    }).filter(function (minutes) {
      return minutes !== null && minutes !== undefined;
    });
    return times.length ? Math.min.apply(null, times) : Infinity;
  }

  // Name the place and point the search started from, so that a wrong guess is seen at once.
  function showSearchedPlace(searched) {
    var line = document.getElementById("results-place");
    if (!searched) {
      line.textContent = "";
      return;
    }
    line.textContent = interpolate(gettext("Searched from %(place)s (latitude %(lat)s, longitude %(lon)s)."), {
      place: state.locationDescription || gettext("the place in the shared link"),
      lat: formatNumber(searched.lat, 4),
      lon: formatNumber(searched.lon, 4)
    }, true);
  }

  function renderResults(payload) {
    var facilities = payload.facilities || [];
    state.lastResultCount = facilities.length;
    state.lastDistrictUbigeo = (payload.search && payload.search.district && payload.search.district.ubigeo) || "";
    state.lastSearchId = (payload.search && payload.search.id) || "";
    var searched = payload.search && payload.search.location;
    if (searched && !state.locationMarker) {
      showLocationMarker(searched.lat, searched.lon);
    }
    var method = sharedMethod(facilities);
    var methodBox = document.getElementById("travel-method-shared");
    methodBox.querySelector("p").textContent = method;
    methodBox.hidden = !method;
    var facilityList = document.getElementById("facility-list");
    facilityList.textContent = "";
    facilities.forEach(function (facility) {
      facilityList.appendChild(facilityItem(facility, !!method));
    });
    showLongTripNotice(facilities, state.lastRequest && state.lastRequest.needs);
    showSearchedPlace(searched);
    routeStatus.hidden = true;

    var summary = document.getElementById("results-summary");
    var district = payload.search && payload.search.district;
    if (facilities.length) {
      summary.textContent = interpolate(
        ngettext("%(count)s facility found", "%(count)s facilities found", facilities.length),
        {count: facilities.length}, true
      ) + (district && district.name ? " · " + interpolate(gettext("district of %s"), [district.name]) : "") +
        " · " + rankingNote(facilities[0].ranking_method);
    } else {
      summary.textContent = gettext("No facility offering this care was found nearby. Try fewer needs or another mode of travel.");
    }

    renderPrograms(payload.programs || []);
    renderShareBox();
    setUpOtherModeButton();
    drawFacilities(facilities);

    var results = document.getElementById("results");
    results.hidden = false;
    var heading = document.getElementById("results-heading");
    heading.focus();
    heading.scrollIntoView({block: "start"});
  }

  /* ---------- start ---------- */

  placeInput.addEventListener("input", onPlaceInput);
  placeInput.addEventListener("keydown", onPlaceKeydown);
  placeInput.addEventListener("blur", function () {
    setTimeout(closeSuggestions, 150);
  });
  document.getElementById("use-my-location").addEventListener("click", useMyLocation);
  document.getElementById("use-map-center").addEventListener("click", useMapCenter);
  document.getElementById("add-member").addEventListener("click", function () {
    addMember(true);
  });
  document.getElementById("share-copy").addEventListener("click", copyShareUrl);
  document.getElementById("other-mode-button").addEventListener("click", showOtherModeTimes);
  form.addEventListener("submit", onSubmit);
  addMember(false);
  restoreSharedSearch();
})();
